# Writes the bytes of INPUT to OUTPUT as a comma-separated list of
# character codes followed by a NUL, to be included inside a char array:
# unlike a raw string literal it has no length limit and no delimiter that
# the text could contain.
file(READ ${INPUT} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE ${OUTPUT} "${bytes}'\\0'\n")

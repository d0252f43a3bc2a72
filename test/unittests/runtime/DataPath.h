//===- DataPath.h - Where the tests find ../shared/data -------------------===//
//
// The real model and text are read in place: from $FAC_DATA_DIR when set,
// else from the directory configured at build time. Tests that need them
// skip with a message when they are absent.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TEST_UNITTESTS_DATAPATH_H
#define FAC_TEST_UNITTESTS_DATAPATH_H

#include <cstdlib>
#include <fstream>
#include <string>

inline std::string dataPath(const std::string &relative) {
  const char *env = std::getenv("FAC_DATA_DIR");
  return std::string(env ? env : FAC_DATA_DIR) + "/" + relative;
}

inline bool haveFile(const std::string &path) {
  return std::ifstream(path).good();
}

#define REQUIRE_DATA(path)                                                     \
  if (!haveFile(path))                                                         \
  GTEST_SKIP() << "real data not found at " << (path)                          \
               << " (set FAC_DATA_DIR to ../shared/data)"

#endif // FAC_TEST_UNITTESTS_DATAPATH_H

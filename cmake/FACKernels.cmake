# fac_add_kernels(<target> SPECS a.fac [b.fac ...]
#                 [TARGET native|x86-64|x86-64-avx2|x86-64-avx512|aarch64|cpp]
#                 [DEFINES name=value ...] [ENTRIES name ...]
#                 [MEMORY_LIMIT bytes] [KEY_TILE keys] [FACC_OPTIONS ...])
#
# Compiles each spec with facc into an object (or, for TARGET cpp, C++
# source) and a C header, adds them to <target>, puts the headers on its
# include path (`#include "a.h"` for a.fac) and links libfacrt and LLVM's
# OpenMP runtime. TARGET defaults to aarch64 when the project is
# cross-compiled for AArch64, else x86-64-avx2. DEFINES are facc's -D,
# ENTRIES its --entry, MEMORY_LIMIT its --memory-limit, KEY_TILE its
# --key-tile; FACC_OPTIONS are passed as they are to the command that
# writes the code (not to the header's, which no code option changes). The
# outputs live in <binary dir>/fac/<target>/ and are rebuilt when a spec,
# a file it imports, or facc changes.
function(fac_add_kernels target)
  cmake_parse_arguments(PARSE_ARGV 1 FAC "" "TARGET;MEMORY_LIMIT;KEY_TILE"
    "SPECS;DEFINES;ENTRIES;FACC_OPTIONS")
  if(FAC_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "fac_add_kernels: unknown arguments "
      "${FAC_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "fac_add_kernels: '${target}' is not a target")
  endif()
  if(NOT FAC_SPECS)
    message(FATAL_ERROR "fac_add_kernels(${target}): give SPECS")
  endif()
  if(NOT FAC_TARGET)
    set(FAC_TARGET ${FAC_DEFAULT_TARGET})
  endif()
  set(code_options "")
  set(options "")
  foreach(define IN LISTS FAC_DEFINES)
    list(APPEND options "-D${define}")
  endforeach()
  foreach(entry IN LISTS FAC_ENTRIES)
    list(APPEND options "--entry=${entry}")
  endforeach()
  if(DEFINED FAC_MEMORY_LIMIT)
    list(APPEND options "--memory-limit=${FAC_MEMORY_LIMIT}")
  endif()
  if(DEFINED FAC_KEY_TILE)
    list(APPEND code_options "--key-tile=${FAC_KEY_TILE}")
  endif()
  list(APPEND code_options ${FAC_FACC_OPTIONS})
  if(FAC_TARGET STREQUAL "cpp")
    set(emit cpp)
    set(extension .cpp)
  else()
    set(emit obj)
    set(extension .o)
    list(APPEND code_options "--target=${FAC_TARGET}")
  endif()

  set(dir ${CMAKE_CURRENT_BINARY_DIR}/fac/${target})
  get_property(done TARGET ${target} PROPERTY FAC_KERNEL_STEMS)
  foreach(spec IN LISTS FAC_SPECS)
    get_filename_component(spec ${spec} ABSOLUTE)
    # Up to the last dot, as facc names its outputs (win.v1.fac -> win.v1.h).
    get_filename_component(stem ${spec} NAME_WLE)
    if(stem IN_LIST done)
      message(FATAL_ERROR "fac_add_kernels(${target}): two specs are named "
        "${stem}; their headers would be the same ${stem}.h")
    endif()
    list(APPEND done ${stem})
    set(code ${dir}/${stem}${extension})
    set(header ${dir}/${stem}.h)
    add_custom_command(
      OUTPUT ${code} ${header}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
      COMMAND FAC::facc ${spec} -emit=${emit} ${code_options} ${options}
              -o ${code} --depfile=${code}.d
      COMMAND FAC::facc ${spec} -emit=header ${options} -o ${header}
      DEPENDS ${spec} $<TARGET_FILE:FAC::facc>
      DEPFILE ${code}.d
      COMMENT "Compiling ${stem}.fac with facc for ${FAC_TARGET}"
      VERBATIM)
    if(emit STREQUAL "obj")
      set_source_files_properties(${code} PROPERTIES
        EXTERNAL_OBJECT TRUE GENERATED TRUE)
    endif()
    target_sources(${target} PRIVATE ${code} ${header})
  endforeach()
  set_property(TARGET ${target} PROPERTY FAC_KERNEL_STEMS ${done})
  target_include_directories(${target} PRIVATE ${dir})
  target_link_libraries(${target} PRIVATE FAC::facrt)
  # Every kernel has a whole-layer entry whose parallel loops call libomp;
  # C++ source runs them serially unless compiled with OpenMP.
  if(FAC_OPENMP_LIBRARY)
    target_link_libraries(${target} PRIVATE ${FAC_OPENMP_LIBRARY})
  elseif(NOT emit STREQUAL "cpp")
    message(FATAL_ERROR "fac_add_kernels(${target}): kernels link LLVM's "
      "OpenMP runtime: set FAC_OPENMP_LIBRARY to a libomp for "
      "${FAC_TARGET}")
  endif()
endfunction()

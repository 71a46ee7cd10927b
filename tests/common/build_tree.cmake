# Configures and builds a build tree of its own from the source tree, for the ctest tests that
# need a differently built copy of the project (tests/sanitize, tests/fuzz):
#   cmake -DSOURCE_DIR=<src> -DBINARY_DIR=<dir> -DTARGETS=a,b,c [-DJOBS=n]
#         -P build_tree.cmake -- <cmake configure arguments...>
# TARGETS is comma-separated (empty: the default target). The configure step runs every time, so a
# changed option or a new source is picked up; the build is incremental. Output goes to ctest's
# log; a failure fails the test.
cmake_minimum_required(VERSION 3.20)

foreach(var SOURCE_DIR BINARY_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_tree.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT JOBS)
  cmake_host_system_information(RESULT JOBS QUERY NUMBER_OF_LOGICAL_CORES)
endif()

# Everything after "--" is for the configure step, one argument each (they may contain spaces).
set(configure_args)
set(after_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 1 ${last})
  if(after_separator)
    list(APPEND configure_args "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()

message(STATUS "configuring ${BINARY_DIR}: ${configure_args}")
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR} ${configure_args}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring ${BINARY_DIR} failed (${rc})")
endif()

set(target_args)
if(TARGETS)
  string(REPLACE "," ";" targets "${TARGETS}")
  set(target_args --target ${targets})
endif()
message(STATUS "building ${BINARY_DIR} (${JOBS} jobs): ${TARGETS}")
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} --parallel ${JOBS} ${target_args}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building ${BINARY_DIR} failed (${rc})")
endif()

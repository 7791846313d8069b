# Shared build helpers. Each layer adds its own libraries and tests.

# One Catch2 main for every unit-test executable (compiling it once saves minutes).
if(NOT TARGET pv_catch_main)
  add_library(pv_catch_main STATIC ${CMAKE_SOURCE_DIR}/cmake/catch_main.cpp)
  target_link_libraries(pv_catch_main PUBLIC Catch2::Catch2)
endif()

# pv_add_test(NAME <exe> SOURCES <...> LIBS <...> [LABELS <...>])
# A Catch2 executable registered with CTest, one CTest test per TEST_CASE.
function(pv_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE pv_catch_main rapidcheck ${T_LIBS})
  target_compile_definitions(${T_NAME} PRIVATE PV_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  set(labels unit)
  if(T_LABELS)
    set(labels ${T_LABELS})
  endif()
  catch_discover_tests(${T_NAME} PROPERTIES LABELS "${labels}"
                       WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endfunction()

# Warnings that catch real bugs; not -Werror so a new compiler cannot break CI.
function(pv_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion>)
endfunction()

# pv_add_fuzzer(NAME fuzz_<what> SOURCES <...> LIBS <...>): a libFuzzer target, built only with
# -DPV_FUZZ=ON and clang. ci/fuzz.sh runs every fuzz_* target for a bounded time, seeded from
# the folder `corpus/` next to the CMakeLists.txt that defines it.
function(pv_add_fuzzer)
  cmake_parse_arguments(F "" "NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT PV_FUZZ)
    return()
  endif()
  add_executable(${F_NAME} ${F_SOURCES})
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
endfunction()

# Helpers shared by every module's CMakeLists.txt.
#
#   rn_module(<name> [DEPS <mod|lib>...] [STRICT])
#       A static library rn_<name> from src/<name>/*.c. STRICT adds -Wconversion
#       -Wsign-conversion (layers 0-3, STYLE.md 2.11).
#   rn_unit_test(<name> [DEPS ...] [LABELS extra...])
#       One executable test_<name> from tests/unit/<name>/*.c plus the harness,
#       registered with ctest as unit.<name>.

set(RN_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wundef -Wcast-align -Wvla -Wformat=2 -Wimplicit-fallthrough -Wnull-dereference)
set(RN_STRICT_WARNINGS -Wconversion -Wsign-conversion)

function(rn_common_flags tgt)
  target_compile_options(${tgt} PRIVATE ${RN_WARNINGS})
  if(RN_WERROR)
    target_compile_options(${tgt} PRIVATE -Werror)
  endif()
  target_compile_definitions(${tgt} PRIVATE _GNU_SOURCE)
  if(CMAKE_BUILD_TYPE STREQUAL "Release")
    target_compile_options(${tgt} PRIVATE -O2)
  endif()
  if(NOT CMAKE_BUILD_TYPE STREQUAL "Release")
    target_compile_definitions(${tgt} PRIVATE RN_DEBUG=1)
  endif()
endfunction()

if(RN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(RN_FUZZ)
  # Instrument the module libraries too (coverage + ASan/UBSan): otherwise libFuzzer only sees
  # the fuzz_*.c glue and ASan does not check the decoders. Fuzz targets add -fsanitize=fuzzer.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

function(rn_module name)
  cmake_parse_arguments(A "STRICT" "" "DEPS;SOURCES" ${ARGN})
  if(A_SOURCES)
    set(srcs ${A_SOURCES})
  else()
    file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.c)
  endif()
  if(NOT srcs)
    message(STATUS "module ${name}: no sources yet, skipped")
    return()
  endif()
  add_library(rn_${name} STATIC ${srcs})
  target_include_directories(rn_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  rn_common_flags(rn_${name})
  if(A_STRICT)
    target_compile_options(rn_${name} PRIVATE ${RN_STRICT_WARNINGS})
  endif()
  foreach(d IN LISTS A_DEPS)
    if(TARGET rn_${d})
      target_link_libraries(rn_${name} PUBLIC rn_${d})
    elseif(d IN_LIST RN_MODULES)
      message(WARNING "module ${name} depends on module ${d}, which is not built")
    else()
      target_link_libraries(rn_${name} PUBLIC ${d})
    endif()
  endforeach()
endfunction()

function(rn_unit_test name)
  cmake_parse_arguments(A "" "" "DEPS;LABELS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/${name}/*.c)
  if(NOT srcs OR NOT TARGET rn_${name})
    message(STATUS "unit tests ${name}: module or tests missing, skipped")
    return()
  endif()
  add_executable(test_${name} ${srcs})
  rn_common_flags(test_${name})
  target_link_libraries(test_${name} PRIVATE rn_harness rn_${name})
  foreach(d IN LISTS A_DEPS)
    if(TARGET rn_${d})
      target_link_libraries(test_${name} PRIVATE rn_${d})
    else()
      target_link_libraries(test_${name} PRIVATE ${d})
    endif()
  endforeach()
  add_test(NAME unit.${name} COMMAND test_${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS "unit;quick;${A_LABELS}"
    ENVIRONMENT "RN_SHARED_DIR=${RN_SHARED_DIR}")
endfunction()

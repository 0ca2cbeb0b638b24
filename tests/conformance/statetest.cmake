# State tests (included from CMakeLists.txt): the runner of `rollup-node evm statetest`, linked
# standalone as `statetest` so the suite needs only the modules up to state/.
#   statetest.quick  (quick): every GeneralStateTests file, the Prague fill and evmone's tests with
#                    the computed-goto interpreter (about 5 s in a release build)
#   statetest.full   (full):  the same with the switch interpreter, so both dispatch flavours run
if(TARGET rn_state)
  add_executable(statetest statetest_main.c ${CMAKE_SOURCE_DIR}/src/node/cmd_evm.c)
  rn_common_flags(statetest)
  target_link_libraries(statetest PRIVATE rn_state jansson)
  set(ST_ARGS --unsupported ${CMAKE_CURRENT_SOURCE_DIR}/statetest_unsupported.txt
      ${FX}/ethereum-tests/GeneralStateTests
      ${FX}/latest_fork_tests/state_tests ${FX}/latest_fork_tests/evmone_tests)
  add_test(NAME statetest.quick COMMAND statetest ${ST_ARGS})
  set_tests_properties(statetest.quick PROPERTIES LABELS "conformance;quick;asan")
  add_test(NAME statetest.full COMMAND statetest --dispatch switch ${ST_ARGS})
  set_tests_properties(statetest.full PROPERTIES LABELS "conformance;full")
endif()

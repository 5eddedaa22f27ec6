# sim/explore: the scenario emitter's round trip and `rddsim shrink`
# (label explore; docs/shrink.md).
file(GLOB_RECURSE SIM_EXPLORE_SCEN CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/scenarios/*.yaml)
list(SORT SIM_EXPLORE_SCEN)
add_executable(explore_roundtrip explore/roundtrip.c)
target_link_libraries(explore_roundtrip PRIVATE rddsim_core)
# Every shipped scenario: load -> emit -> load runs each variant at seed 1
# to the same trace hash and verdict (matrix files cell by cell).
add_test(NAME explore.emit-roundtrip
         COMMAND explore_roundtrip ${SIM_EXPLORE_SCEN})
set_tests_properties(explore.emit-roundtrip PROPERTIES LABELS explore)

# `rdd ctl` (issue 10 item 10) and output in the order of the story (issue
# 15 item 4): the exact lines a user sees.  Included from tests/CMakeLists.txt
# after scenarios.cmake (it uses sim_bad, SIM_SCEN_DIR and SIM_TOOLS).

function(sim_cli name code regex)
  add_test(NAME cli.${name}
           COMMAND ${Python3_EXECUTABLE} ${SIM_TOOLS}/expect.py ${code} "${regex}" --
                   $<TARGET_FILE:rddsim> ${ARGN})
  set_tests_properties(cli.${name} PROPERTIES LABELS cli)
endfunction()

# Violations print by time, then id; L6 is dated at its deadline (Running=True
# and the pipe another's since 26.5 s, + 10 s), not at the next 1 s tick (37 s).
sim_cli(violations-in-time-order 0
        "^violation: S2 at 26.503973030s: [^\\n]*\\nviolation: S3 at 26.518783713s: [^\\n]*\\nviolation: L6 at 36.500s: rancher-desktop-2's App has said Running=True since 26.500s[^\\n]*\\nviolation: S1 at 40.001562597s: "
        run ${SIM_SCEN_DIR}/collisions/dd-before-rdd.yaml --variant head --seed 1)
# The trace line dates it too, and after_seq is the commit of Running=True.
sim_cli(liveness-after-seq 0
        "^t=26.500000000s #([0-9]+) kube.obj.update store=rancher-desktop-2 sub=status kind=App[^\\n]*\\n(.*\\n)*t=37.000000000s #[0-9]+ sim.invariant.violated id=L6 after_seq=\\1 at=36.500s "
        run ${SIM_SCEN_DIR}/collisions/dd-before-rdd.yaml --variant head --seed 1 --log -)
# Time comes before id: L5 (130 s) prints before L3 (490 s).
sim_cli(time-before-id 0
        "violation: L5 at 130s: [^\\n]*\\nviolation: L3 at 490s: "
        run ${SIM_SCEN_DIR}/reports/running-false-starting.yaml --variant head --seed 1)
# A no_trace hit names the line that matched.
sim_cli(no-trace-names-line 1
        "expectation: found in the trace: rdd.hostagent.event \\(line #[0-9]+ at t=[0-9]+\\.[0-9]+s\\)"
        run ${PROJECT_SOURCE_DIR}/tests/expect/trace-expectation-fails.yaml --variant forbidden)

# rdd ctl: the report, as a user would see it.
sim_cli(ctl-reaches-other-instance 0
        "^violation: S17 at 40s: rancher-desktop-test's `rdd ctl get App app` read /home/u/.local/share/rancher-desktop-test/config.yaml \\(server https://127.0.0.1:6591, written at 100ms\\) and reached rancher-desktop-0's apiserver, not its own apiserver: Get \"https://127.0.0.1:6591/version\": tls: failed to verify certificate: x509: certificate signed by unknown authority$"
        run ${SIM_SCEN_DIR}/reports/ctl-reaches-other-instance.yaml --variant head --seed 1)
sim_cli(ctl-exit 0
        "rdd.cli.exit inst=rancher-desktop-test cmd=\"rdd ctl get App app\" code=0 err=\"\" elapsed=500ms"
        run ${SIM_SCEN_DIR}/reports/ctl-reaches-other-instance.yaml --variant head --seed 1 --log -)
# S17 is listed, and S12 says what the docs say about moved ports.
sim_cli(list-invariants-s17 0
        "^S17  client reaches its own apiserver every connection a client of instance X"
        list invariants)
sim_cli(list-invariants-s12-moved 0
        "^S12 .*TCP port \\(a real bind that fails; a port ResolvePort moved is shared with nobody and is not counted\\)"
        list invariants)
sim_cli(list-actions-ctl 0 "^rdd.ctl +rdd ctl get[|]delete[|]patch" list actions)

# Bad rdd.ctl steps: file:line:col and exit 2.
sim_bad(ctl-bad-verb "ctl-bad-verb.yaml:7:51: verb must be get, delete or patch")
sim_bad(ctl-bad-kind "ctl-bad-kind.yaml:7:62: unknown kind 'Pod'")
sim_bad(ctl-every "ctl-every.yaml:7:21: rdd.ctl cannot repeat")

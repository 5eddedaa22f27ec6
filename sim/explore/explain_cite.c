/*
 * explain_cite.c: the RDD source each modelled event stands for (see
 * explain.h, explain_cite).
 *
 * One row per event the models in sim/rdd (and the CLI steps in
 * sim/scenario/actions.c) write: the RDD file:line (at the commit
 * `rddsim --version` names) of the Go function the model follows, taken
 * from the comment the model cites above the function that writes the
 * event, or, for a helper that only traces (a state transition, a
 * condition write), from the RDD function that helper stands for.  Not
 * here: rdd.vm.* (the non-Windows VM stand-in) and rdd.hostagent.vm_lost
 * (a distro stopped under the hostagent): no RDD code writes them.
 * Sorted by event name: explain_cite bisects.
 */
#include "explore/explain.h"

#include <string.h>

static const struct {
    const char *ev;
    const char *cite;
} cites[] = {
    {"rdd.app.settled",
     "pkg/controllers/app/app/controllers/app_controller.go:575-682"},
    {"rdd.app.step",
     "pkg/controllers/app/app/controllers/app_controller.go:219-544"},
    {"rdd.bridge.exit",
     "pkg/socketbridge/host_windows.go:52-74"},
    {"rdd.bridge.state",
     "pkg/socketbridge/host_windows.go:52-74"},
    {"rdd.bridge.vsock_fail",
     "pkg/socketbridge/host_windows.go:76-110"},
    {"rdd.bridge.vsock_peer",
     "pkg/socketbridge/host_windows.go:76-110"},
    {"rdd.cli.exit",
     "cmd/rdd/set.go:255-328"},
    {"rdd.cli.print",
     "cmd/rdd/set.go:509-534"},
    {"rdd.ctl.request",
     "pkg/service/cmd/service.go:357-370"},
    {"rdd.dctx.create",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:335-402"},
    {"rdd.dctx.delete",
     "pkg/controllers/app/engine/controllers/docker_context.go:75-81"},
    {"rdd.dctx.probe.result",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:335-402"},
    {"rdd.dctx.probe.skip",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:335-402"},
    {"rdd.dctx.probe.start",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:335-402"},
    {"rdd.dctx.remove.done",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:407-431"},
    {"rdd.dctx.remove.start",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:407-431"},
    {"rdd.dctx.rmw.error",
     "pkg/controllers/app/engine/controllers/docker_context.go:100-114"},
    {"rdd.dctx.write",
     "pkg/controllers/app/engine/controllers/docker_context.go:100-114"},
    {"rdd.engine.bridge_lost",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:164-293"},
    {"rdd.engine.cleanup",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:494-524"},
    {"rdd.engine.condition",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:434-487"},
    {"rdd.engine.manage_docker_context",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:248-257"},
    {"rdd.engine.reconcile_error",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:543-545"},
    {"rdd.engine.remove_docker_context",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:320-330"},
    {"rdd.engine.shutdown",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:833-840"},
    {"rdd.engine.state",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:164-293"},
    {"rdd.engine.watcher_died",
     "pkg/controllers/app/engine/controllers/engine_reconciler.go:164-293"},
    {"rdd.hostagent.event",
     "pkg/hostagent/command.go:48-147"},
    {"rdd.hostagent.exit",
     "pkg/controllers/lima/limavm/controllers/hostagent_watcher.go:71-148"},
    {"rdd.hostagent.fail",
     "pkg/hostagent/command.go:48-147"},
    {"rdd.hostagent.interrupt",
     "pkg/hostagent/command.go:48-147"},
    {"rdd.hostagent.refuse",
     "pkg/hostagent/command.go:48-63"},
    {"rdd.hostagent.spawn",
     "pkg/controllers/lima/limavm/controllers/limavm_lifecycle.go:334-451"},
    {"rdd.hostagent.started",
     "pkg/hostagent/command.go:48-63"},
    {"rdd.hostagent.state",
     "pkg/hostagent/command.go:48-147"},
    {"rdd.hostswitch.die_ignored",
     "pkg/controllers/lima/limavm/controllers/hostswitch_windows.go:208-315"},
    {"rdd.hostswitch.exit",
     "pkg/controllers/lima/limavm/controllers/hostswitch_windows.go:208-315"},
    {"rdd.hostswitch.fail",
     "pkg/controllers/lima/limavm/controllers/hostswitch_windows.go:179-183"},
    {"rdd.hostswitch.up",
     "pkg/controllers/lima/limavm/controllers/hostswitch_windows.go:185-208"},
    {"rdd.lima.create",
     "pkg/controllers/lima/limavm/controllers/limavm_controller.go:310"},
    {"rdd.lima.delete",
     "pkg/controllers/lima/limavm/controllers/limavm_lifecycle.go:56"},
    {"rdd.limavm.chan_drop",
     "pkg/controllers/lima/limavm/controllers/hostagent_watcher.go:226-236"},
    {"rdd.limavm.condition",
     "pkg/controllers/lima/limavm/controllers/limavm_controller.go:563-578"},
    {"rdd.limavm.decision",
     "pkg/controllers/lima/limavm/controllers/limavm_controller.go:166-397"},
    {"rdd.limavm.delete_failed",
     "pkg/controllers/lima/limavm/controllers/limavm_lifecycle.go:36-83"},
    {"rdd.limavm.done",
     "pkg/controllers/lima/limavm/controllers/limavm_controller.go:166-397"},
    {"rdd.limavm.inspect",
     "pkg/controllers/lima/limavm/controllers/limavm_lifecycle.go:121-153"},
    {"rdd.limavm.kill",
     "pkg/controllers/lima/limavm/controllers/limavm_lifecycle.go:569-597"},
    {"rdd.limavm.phase",
     "pkg/controllers/lima/limavm/controllers/hostagent_watcher.go:71-148"},
    {"rdd.limavm.reaped",
     "pkg/controllers/lima/limavm/controllers/hostagent_watcher.go:83-92"},
    {"rdd.limavm.reconcile",
     "pkg/controllers/lima/limavm/controllers/limavm_controller.go:166-397"},
    {"rdd.limavm.running_state",
     "pkg/controllers/lima/limavm/controllers/limavm_lifecycle.go:121-153"},
    {"rdd.limavm.screened",
     "pkg/controllers/lima/limavm/controllers/limavm_lifecycle.go:695-754"},
    {"rdd.limavm.shutdown",
     "pkg/controllers/lima/limavm/controllers/limavm_controller.go:627-708"},
    {"rdd.limavm.shutdown_done",
     "pkg/controllers/lima/limavm/controllers/limavm_controller.go:617-621"},
    {"rdd.limavm.stale_remove_failed",
     "pkg/controllers/lima/limavm/controllers/limavm_lifecycle.go:793-800"},
    {"rdd.limavm.tmp_kept",
     "pkg/controllers/lima/limavm/controllers/limavm_lifecycle.go:695-754"},
    {"rdd.limavm.wait",
     "pkg/controllers/lima/limavm/controllers/limavm_controller.go:166-397"},
    {"rdd.ports.bind",
     "pkg/service/cmd/service.go:829-845"},
    {"rdd.ports.forward",
     "pkg/controllers/app/app/lima-template.yaml:13-23"},
    {"rdd.ports.resolve",
     "pkg/service/controllers/ports.go:19-31"},
    {"rdd.svc.delete",
     "pkg/service/cmd/service.go:541-565"},
    {"rdd.svc.delete_short_dir",
     "pkg/service/cmd/service.go:541-565"},
    {"rdd.svc.exit",
     "pkg/service/cmd/service.go:465-533"},
    {"rdd.svc.interrupt_lost",
     "pkg/util/process/process_windows.go:37-39"},
    {"rdd.svc.shutdown",
     "pkg/service/cmd/service.go:939-954"},
    {"rdd.svc.shutdown_hang",
     "pkg/service/cmd/service.go:939-954"},
    {"rdd.svc.shutdown_timeout",
     "pkg/service/controllers/manager.go:150-152"},
    {"rdd.svc.start",
     "pkg/service/cmd/service.go:293-329"},
    {"rdd.svc.stop",
     "pkg/service/cmd/service.go:465-533"},
    {"rdd.watcher.apply_fail",
     "pkg/controllers/app/engine/controllers/sync_containers.go:206-213"},
    {"rdd.watcher.event_fail",
     "pkg/controllers/app/engine/controllers/docker_watcher.go:228-239"},
    {"rdd.watcher.exit",
     "pkg/controllers/app/engine/controllers/docker_watcher.go:150-170"},
    {"rdd.watcher.new",
     "pkg/controllers/app/engine/controllers/docker_watcher.go:53-103"},
    {"rdd.watcher.skip",
     "pkg/controllers/app/engine/controllers/docker_watcher.go:609-630"},
    {"rdd.watcher.start_fail",
     "pkg/controllers/app/engine/controllers/docker_watcher.go:53-103"},
    {"rdd.watcher.stop",
     "pkg/controllers/app/engine/controllers/docker_watcher.go:127-130"},
    {"rdd.watcher.synced",
     "pkg/controllers/app/engine/controllers/docker_watcher.go:609-630"},
    {"rdd.webhook.limavm_default",
     "pkg/controllers/lima/limavm/controller.go:211-263"},
    {"rdd.webhook.limavm_delete",
     "pkg/controllers/base/webhook.go:56-64"},
};

const char *explain_cite(const char *ev)
{
    size_t lo = 0, hi = sizeof(cites) / sizeof(cites[0]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cites[mid].ev, ev);
        if (c == 0)
            return cites[mid].cite;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

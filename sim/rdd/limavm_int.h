/*
 * limavm_int.h: private to limavm.c and limavm_lifecycle.c, the two halves
 * of RDD's LimaVM controller (limavm_controller.go and limavm_lifecycle.go).
 * Nothing else includes it; the rest of the model uses limavm.h.
 */
#ifndef RDD_LIMAVM_INT_H
#define RDD_LIMAVM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rdd.h"

/* What runs after an async step. */
enum {
    K_NONE,
    K_STOP_INSTANCE,   /* stopInstance's tail */
    K_RESTART_NEEDED,  /* handleRestartNeeded's tail */
    K_STARTING_TIMEOUT,/* STARTING_TIMEOUT's tail */
    K_ORPHAN,          /* handleUnwatchedState's requeue */
};

/* limavm.c (limavm_controller.go) ------------------------------------------*/

/* Traces a controller decision (the Go code's logger.Info). */
void rdd__lvm_decision(rdd_instance_t *inst, const char *what);
/* Ends the reconcile in flight. */
void rdd__lvm_finish(rdd_instance_t *inst, int err, uint64_t requeue_ns);
/* Removes key from a field list. */
void rdd__lvm_field_del(kube_field_t *f, int *n, const char *key);
/* base.HasConditionWithReason. */
int rdd__lvm_has_cond(const kube_obj_t *o, const char *type, const char *status,
                      const char *reason);
/* setCondition (:563-578). */
int rdd__lvm_set_cond(rdd_instance_t *inst, kube_obj_t *vm, const char *type,
                      const char *status, const char *reason, const char *msg);
/* Status().Patch(ctx, vm, client.MergeFrom(orig)). */
int rdd__lvm_status_patch(rdd_instance_t *inst, const kube_obj_t *orig,
                          kube_obj_t *vm);
/* updateCondition (:581-588). */
int rdd__lvm_update_cond(rdd_instance_t *inst, kube_obj_t *vm, const char *type,
                         const char *status, const char *reason,
                         const char *msg);
/* status.restartNeeded. */
int rdd__lvm_restart_needed(const kube_obj_t *vm);
/* Parks the reconcile in flight on step; cb fires after delay_ns. */
void rdd__lvm_park(rdd_instance_t *inst, rdd_lvm_step_t step, sim_timer_cb cb,
                   uint64_t delay_ns);

/* limavm_lifecycle.c (limavm_lifecycle.go) ---------------------------------*/

/* stopInstanceForcibly (:695-754). */
void rdd__lvm_stop_forcibly(rdd_instance_t *inst, const rdd_lima_inst_t *li0,
                            const char *helper);
/* forceStopForDeletion (:660-678). */
void rdd__lvm_force_stop_for_deletion(rdd_instance_t *inst, rdd_lima_inst_t *li);
/* removeStaleInstance (:793-800). */
int rdd__lvm_remove_stale_instance(rdd_instance_t *inst, const char *dir,
                                   char *msg, size_t len);
/* stopHostSwitch (hostswitch_windows.go:146-159). */
void rdd__lvm_stop_host_switch(rdd_instance_t *inst);
/* handleRunningState (:121-325). */
void rdd__lvm_handle_running_state(rdd_instance_t *inst);
/* handleDeletion (:36-83). */
void rdd__lvm_handle_deletion(rdd_instance_t *inst);
/* handleRestartAnnotation (:92-115). */
void rdd__lvm_handle_restart_annotation(rdd_instance_t *inst);

#endif

/*
 * app.h: RDD's App controller (rdd/pkg/controllers/app/app/controllers/
 * app_controller.go, rdd-behavior.md §6).  STUB: being written.
 */
#ifndef RDD_APP_H
#define RDD_APP_H

#include "kube/kube.h"

typedef struct rdd_instance rdd_instance_t;

typedef struct {
    kube_ctrl_t *ctrl;        /* private: the App controller's queue */
    kube_cache_t *cache;      /* private: its informer cache */
    int64_t handled_gen;      /* private: stand-in only */
} rdd_app_t;

/* Controller start and stop (service start/stop). */
int rdd_app_init(rdd_instance_t *inst);
void rdd_app_free(rdd_instance_t *inst);

#endif

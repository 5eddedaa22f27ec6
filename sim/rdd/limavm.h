/*
 * limavm.h: RDD's LimaVM controller and hostagent watcher
 * (rdd/pkg/controllers/lima/limavm/controllers/, rdd-behavior.md §7).
 * STUB: being written.
 */
#ifndef RDD_LIMAVM_H
#define RDD_LIMAVM_H

#include "kube/kube.h"

typedef struct rdd_instance rdd_instance_t;

typedef struct {
    int placeholder;
} rdd_limavm_t;

#endif

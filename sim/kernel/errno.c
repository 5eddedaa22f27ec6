/* errno.c: names and sentences for the codes of sim/include/sim/errno.h. */
#include "sim/errno.h"

const char *sim_err_name(int err)
{
    switch (err) {
    case 0:
        return "OK";
#define SIM__ERR_NAME(name, msg)                                               \
    case SIM_##name:                                                           \
        return #name;
        SIM_ERRNO_MAP(SIM__ERR_NAME)
#undef SIM__ERR_NAME
    default:
        return "EUNKNOWN";
    }
}

const char *sim_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define SIM__ERR_MSG(name, msg)                                                \
    case SIM_##name:                                                           \
        return msg;
        SIM_ERRNO_MAP(SIM__ERR_MSG)
#undef SIM__ERR_MSG
    default:
        return "unknown error";
    }
}

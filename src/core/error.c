/* error.c - names for mds_err values. */
#include "core/error.h"

const char *mds_strerror(mds_err err)
{
    switch (err) {
    case MDS_OK: return "success";
    case MDS_ERR_NOMEM: return "out of memory";
    case MDS_ERR_ARG: return "invalid argument";
    case MDS_ERR_CONFIG: return "invalid configuration";
    case MDS_ERR_IO: return "input/output error";
    case MDS_ERR_STATE: return "state database error";
    case MDS_ERR_LOCKED: return "state file in use by another instance";
    case MDS_ERR_PARSE: return "malformed input";
    case MDS_ERR_LIMIT: return "size limit exceeded";
    case MDS_ERR_AUTH: return "authentication failed";
    case MDS_ERR_HTTP: return "request rejected";
    case MDS_ERR_RETRY: return "temporary failure";
    case MDS_ERR_STOPPED: return "stopped";
    case MDS_ERR_NOTFOUND: return "not found";
    case MDS_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}

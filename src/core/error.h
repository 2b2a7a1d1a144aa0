/*
 * error.h - the one error enum of mdesiem.
 *
 * Every fallible function returns an mds_err; MDS_OK is zero so that
 * "if (err)" reads naturally. Human detail goes in an errstr buffer or a
 * log line at the failure site; mds_strerror() names the class.
 */
#ifndef MDS_ERROR_H
#define MDS_ERROR_H

typedef enum {
    MDS_OK = 0,
    MDS_ERR_NOMEM,      /* allocation failed */
    MDS_ERR_ARG,        /* bad command-line argument */
    MDS_ERR_CONFIG,     /* invalid configuration */
    MDS_ERR_IO,         /* file or socket error */
    MDS_ERR_STATE,      /* state database error */
    MDS_ERR_LOCKED,     /* another instance owns the state file */
    MDS_ERR_PARSE,      /* malformed input (JSON, timestamp, ...) */
    MDS_ERR_LIMIT,      /* a ceiling (body size, depth, ...) was exceeded */
    MDS_ERR_AUTH,       /* credentials rejected */
    MDS_ERR_HTTP,       /* permanent HTTP failure (4xx other than 401/408/429) */
    MDS_ERR_RETRY,      /* transient failure: try again later */
    MDS_ERR_STOPPED,    /* the process is shutting down */
    MDS_ERR_NOTFOUND,   /* no such item */
    MDS_ERR_INTERNAL    /* a bug */
} mds_err;

const char *mds_strerror(mds_err err);

#endif

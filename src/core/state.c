/* state.c - SQLite state: schema, page commits, outbox, status. */
#include "core/state.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"

struct mds_state_lock {
    int fd;
};

enum {
    ST_SEEN_INSERT,
    ST_RECORD_INSERT,
    ST_ROUTE_INSERT,
    ST_CURSOR_SET,
    ST_PENDING,
    ST_ROUTE_DELETE,
    ST_RECORD_DELETE,
    ST_DAILY_SOURCES,
    ST_DAILY_OUTPUT,
    ST_COUNT
};

static const char *const statements[ST_COUNT] = {
    "INSERT OR IGNORE INTO seen(source, id, version) VALUES (?1, ?2, ?3)",
    "INSERT INTO records(source, kind, id, version, stored, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "INSERT INTO routes(output, seq) VALUES (?1, ?2)",
    "INSERT INTO cursors(source, cursor, updated) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, updated = excluded.updated",
    "SELECT r.seq, r.kind, r.version, r.stored, r.source, r.id, r.body FROM routes x "
    "JOIN records r ON r.seq = x.seq WHERE x.output = ?1 ORDER BY x.seq LIMIT ?2",
    "DELETE FROM routes WHERE output = ?1 AND seq = ?2",
    "DELETE FROM records WHERE seq = ?1 AND NOT EXISTS (SELECT 1 FROM routes WHERE seq = ?1)",
    /* before an ack of the batch [?2, ?3] of output ?1: the records whose
     * last route this is, per source (the batch is the output's oldest
     * rows, so its seq range holds no other row of that output) */
    "INSERT INTO delivered_daily(kind, name, day, records) SELECT 'source', r.source, ?4, count(*) "
    "FROM routes x JOIN records r ON r.seq = x.seq WHERE x.output = ?1 AND x.seq BETWEEN ?2 AND ?3 "
    "AND NOT EXISTS (SELECT 1 FROM routes y WHERE y.seq = x.seq AND y.output <> ?1) GROUP BY r.source "
    "ON CONFLICT(kind, name, day) DO UPDATE SET records = records + excluded.records",
    "INSERT INTO delivered_daily(kind, name, day, records) VALUES ('output', ?1, ?2, ?3) "
    "ON CONFLICT(kind, name, day) DO UPDATE SET records = records + excluded.records",
};

/* Statements of stream sources (eventhub), prepared on first use so that a
 * connection to a state file without the stream tables still opens. */
enum { SST_SEEN_INSERT, SST_PARTITION_SET, SST_SEEN_FIND, SST_COUNT };

static const char *const stream_statements[SST_COUNT] = {
    "INSERT OR IGNORE INTO stream_seen(source, digest, seen) VALUES (?1, ?2, ?3)",
    "INSERT INTO stream_partitions(source, topic, partition, committed, high, updated) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(source, topic, partition) DO UPDATE SET "
    "committed = coalesce(excluded.committed, committed), high = coalesce(excluded.high, high), "
    "updated = excluded.updated",
    "SELECT 1 FROM stream_seen WHERE source = ?1 AND digest = ?2",
};

struct mds_db {
    sqlite3 *sql;
    sqlite3_stmt *st[ST_COUNT];
    int64_t committed_bytes; /* body bytes the last page commit stored */
    sqlite3_stmt *sst[SST_COUNT];
    char err[256];           /* why the last transaction failed; "" when it did not */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cursors(source TEXT PRIMARY KEY, cursor INTEGER NOT NULL,"
    " updated INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS seen(source TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,"
    " PRIMARY KEY(source, id, version)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS seen_by_version ON seen(source, version);"
    "CREATE TABLE IF NOT EXISTS records(seq INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL,"
    " kind INTEGER NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, stored INTEGER NOT NULL,"
    " body BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS routes(output TEXT NOT NULL, seq INTEGER NOT NULL,"
    " PRIMARY KEY(output, seq)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS routes_by_seq ON routes(seq);"
    "CREATE TABLE IF NOT EXISTS source_status(source TEXT PRIMARY KEY, last_attempt INTEGER,"
    " last_success INTEGER, last_error TEXT, fetched INTEGER NOT NULL DEFAULT 0,"
    " accepted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS output_status(output TEXT PRIMARY KEY, last_success INTEGER,"
    " last_error TEXT, delivered INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS served(seq INTEGER PRIMARY KEY AUTOINCREMENT, processed INTEGER NOT NULL,"
    " machine_group TEXT NOT NULL, device_tags TEXT NOT NULL, cloud_tags TEXT NOT NULL, body BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS served_by_time ON served(processed);";

/* Deliveries per UTC day, for `status` ("delivered today"): kind 'output'
 * counts what an output acknowledged, kind 'source' the records of a
 * source that left the outbox (every route acknowledged). Added after
 * schema 1 without a version change: older builds ignore the table, and
 * it is created on open when missing. */
static const char daily_schema[] =
    "CREATE TABLE IF NOT EXISTS delivered_daily(kind TEXT NOT NULL, name TEXT NOT NULL, day INTEGER NOT NULL,"
    " records INTEGER NOT NULL, PRIMARY KEY(kind, name, day)) WITHOUT ROWID";

#define DAILY_KEEP_DAYS 40

/* Added for stream sources; created in new and existing files alike (the
 * tables are additive: older builds ignore them). stream_seen: digests of
 * message bodies, to drop a message the service sent twice; kept for a
 * window (mds_db_stream_prune). stream_partitions: per-partition committed
 * offset and high watermark, for `status`. */
static const char stream_schema[] =
    "CREATE TABLE IF NOT EXISTS stream_seen(source TEXT NOT NULL, digest BLOB NOT NULL,"
    " seen INTEGER NOT NULL, PRIMARY KEY(source, digest)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS stream_seen_by_time ON stream_seen(source, seen);"
    "CREATE TABLE IF NOT EXISTS stream_partitions(source TEXT NOT NULL, topic TEXT NOT NULL,"
    " partition INTEGER NOT NULL, committed INTEGER, high INTEGER, updated INTEGER NOT NULL,"
    " PRIMARY KEY(source, topic, partition)) WITHOUT ROWID;";

mds_err mds_state_lock(const char *path, struct mds_state_lock **out, char *err, size_t errlen)
{
    char lpath[4096], pid[32];
    if ((size_t)snprintf(lpath, sizeof lpath, "%s.lock", path) >= sizeof lpath) {
        snprintf(err, errlen, "state path too long");
        return MDS_ERR_ARG;
    }
    int fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open lock file %s: %s", lpath, strerror(errno));
        return MDS_ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ssize_t n = read(fd, pid, sizeof pid - 1);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        snprintf(err, errlen, "state file %s is in use by another mdesiem (pid %s); only one instance may use it",
                 path, *pid ? pid : "unknown");
        close(fd);
        return MDS_ERR_LOCKED;
    }
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)n) != n) {
        /* the pid is informational only */
    }
    struct mds_state_lock *l = mds_malloc(sizeof *l);
    if (!l) {
        close(fd);
        return MDS_ERR_NOMEM;
    }
    l->fd = fd;
    *out = l;
    return MDS_OK;
}

void mds_state_unlock(struct mds_state_lock *l)
{
    if (l) {
        close(l->fd); /* releases the flock */
        mds_free(l);
    }
}

const char *mds_db_errmsg(struct mds_db *db) { return db->err[0] ? db->err : sqlite3_errmsg(db->sql); }

static mds_err check_schema(struct mds_db *db, const char *path, int create, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int version = -1;
    int rc = sqlite3_prepare_v2(db->sql, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            version = sqlite3_column_int(st, 0);
        else if (r != SQLITE_DONE)
            rc = r; /* a damaged meta table is damage, not "some other database" */
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK && rc != SQLITE_ERROR) {
        snprintf(err, errlen, "%s is not a usable mdesiem state file: %s", path, sqlite3_errmsg(db->sql));
        return MDS_ERR_STATE;
    }
    if (version > MDS_STATE_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s was written by a newer mdesiem (schema %d, this build knows %d); refusing to use it",
                 path, version, MDS_STATE_SCHEMA_VERSION);
        return MDS_ERR_STATE;
    }
    if (version == MDS_STATE_SCHEMA_VERSION && create && sqlite3_exec(db->sql, schema, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot complete the schema: %s", path, sqlite3_errmsg(db->sql));
        return MDS_ERR_STATE;
    }
    if (version < 0 && !create) {
        snprintf(err, errlen, "%s holds no mdesiem state (no schema version)", path);
        return MDS_ERR_STATE;
    }
    if (version < 0) {
        /* New file, or a database from something else: refuse the latter. */
        sqlite3_stmt *q = NULL;
        int tables = 0;
        if (sqlite3_prepare_v2(db->sql, "SELECT count(*) FROM sqlite_master", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            tables = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
        if (tables > 0) {
            snprintf(err, errlen, "%s is an SQLite database but not mdesiem state; refusing to modify it", path);
            return MDS_ERR_STATE;
        }
        char *msg = NULL;
        char sql[4096];
        /* 16 KiB pages (see configure) must be chosen before the first table */
        snprintf(sql, sizeof sql, "PRAGMA page_size=16384;BEGIN;%sINSERT INTO meta VALUES('schema_version','%d');COMMIT;",
                 schema, MDS_STATE_SCHEMA_VERSION);
        if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "%s: cannot create schema: %s", path, msg ? msg : "?");
            sqlite3_free(msg);
            return MDS_ERR_STATE;
        }
    }
    if (create && sqlite3_exec(db->sql, stream_schema, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot create the stream tables: %s", path, sqlite3_errmsg(db->sql));
        return MDS_ERR_STATE;
    }
    return MDS_OK;
}

/*
 * SQLite's page cache, per connection. Every source and output thread has
 * its own connection, so whatever one keeps is multiplied by the number
 * of sources. By default each connection reserves 20 pages (320 KiB at
 * 16 KiB a page) in one block at open, which is never returned while the
 * connection lives, and caches up to 2 MB of pages, kept until it closes.
 * Here a connection takes its pages one by one, caches at most
 * MDS_DB_CACHE_KIB (a larger transaction spills to the WAL early), and
 * mds_db_release_memory gives the cache back between pages.
 */
#define MDS_DB_CACHE_KIB 512

static void configure_library(void)
{
    /* no initial bulk block: fails harmlessly if SQLite was already
     * initialised by someone else */
    sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static mds_err configure(struct mds_db *db, const char *path, char *err, size_t errlen)
{
    char *msg = NULL, sql[64];
    /* page_size takes effect only on a new file (before WAL is on): 16 KiB
     * pages hold several stream records each, which cuts page writes and
     * syscalls per record by about 4 compared with 4 KiB. secure_delete =
     * FAST still zeroes deleted records on pages that are written anyway,
     * but does not rewrite freed pages just to zero them: Debian's default
     * (ON) doubled the writes of an outbox that deletes every record it
     * delivered. */
    if (sqlite3_exec(db->sql,
                     "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                     "PRAGMA foreign_keys=OFF; PRAGMA secure_delete=FAST;",
                     NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s is not a usable mdesiem state file: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        return MDS_ERR_STATE;
    }
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d;", MDS_DB_CACHE_KIB);
    if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot set the page cache size: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        return MDS_ERR_STATE;
    }
    return MDS_OK;
}

void mds_db_release_memory(struct mds_db *db)
{
    if (db)
        sqlite3_db_release_memory(db->sql);
}

int64_t mds_db_day(mds_ticks t) { return t / (86400 * MDS_TICKS_PER_SEC); }

/* Creates the daily counters of files made before they existed and, for
 * the collecting process, forgets old days. */
static mds_err add_daily(struct mds_db *db, const char *path, int create, char *err, size_t errlen)
{
    char sql[128];
    if (sqlite3_exec(db->sql, daily_schema, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot add the daily counters: %s", path, sqlite3_errmsg(db->sql));
        return MDS_ERR_STATE;
    }
    snprintf(sql, sizeof sql, "DELETE FROM delivered_daily WHERE day < %lld",
             (long long)(mds_db_day(mds_time_now()) - DAILY_KEEP_DAYS));
    if (create && sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db->sql));
        return MDS_ERR_STATE;
    }
    return MDS_OK;
}

static mds_err prepare_all(struct mds_db *db, const char *path, char *err, size_t errlen)
{
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(db->sql, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &db->st[i], NULL) !=
            SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db->sql));
            return MDS_ERR_STATE;
        }
    }
    return MDS_OK;
}

mds_err mds_db_open(const char *path, int create, struct mds_db **out, char *err, size_t errlen)
{
    struct mds_db *db = mds_calloc(1, sizeof *db);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    mds_err rc = MDS_ERR_NOMEM;
    struct stat st;
    *out = NULL;
    if (!db)
        return rc;
    pthread_once(&library_once, configure_library);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
        /* SQLite would take it for a new database and start afresh; but
         * mdesiem's own files are never empty (WAL mode writes the header
         * at once), so this is a truncated state file. */
        snprintf(err, errlen,
                 "%s is empty (0 bytes): a truncated state file? Refusing to start from scratch silently: restore "
                 "a backup, or remove the file to collect again from initial_lookback",
                 path);
        rc = MDS_ERR_STATE;
        goto fail;
    }
    if (sqlite3_open_v2(path, &db->sql, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open state file %s: %s", path,
                 db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
        rc = MDS_ERR_STATE;
        goto fail;
    }
    /* the schema check comes first: a file that is not ours is refused
     * before anything (even the switch to WAL) is written to it */
    sqlite3_busy_timeout(db->sql, 30000);
    if ((rc = check_schema(db, path, create, err, errlen)) || (rc = configure(db, path, err, errlen)) ||
        (rc = add_daily(db, path, create, err, errlen)) || (rc = prepare_all(db, path, err, errlen)))
        goto fail;
    *out = db;
    return MDS_OK;
fail:
    mds_db_close(db);
    return rc;
}

mds_err mds_db_verify(struct mds_db *db, const char *path, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    mds_err rc = MDS_ERR_STATE;
    int r = sqlite3_prepare_v2(db->sql, "PRAGMA quick_check(1)", -1, &st, NULL);
    if (r == SQLITE_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (v && strcmp(v, "ok") == 0) {
            rc = MDS_OK;
        } else {
            /* "*** in database main ***\nPage 4: ..." -> the problem itself */
            const char *nl = v ? strrchr(v, '\n') : NULL;
            snprintf(err, errlen,
                     "%s is corrupted (%s); refusing to use it: restore a backup, or remove the file to collect "
                     "again from initial_lookback",
                     path, nl ? nl + 1 : v ? v : "?");
        }
    } else {
        snprintf(err, errlen,
                 "%s is corrupted (%s); refusing to use it: restore a backup, or remove the file to collect again "
                 "from initial_lookback",
                 path, sqlite3_errmsg(db->sql));
    }
    sqlite3_finalize(st);
    return rc;
}

void mds_db_close(struct mds_db *db)
{
    if (!db)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(db->st[i]);
    for (int i = 0; i < SST_COUNT; i++)
        sqlite3_finalize(db->sst[i]);
    sqlite3_close(db->sql);
    mds_free(db);
}

static int exec(struct mds_db *db, const char *sql) { return sqlite3_exec(db->sql, sql, NULL, NULL, NULL); }

/* Starts a write transaction; forgets the previous failure. */
static int begin(struct mds_db *db)
{
    db->err[0] = '\0';
    int rc = exec(db, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        snprintf(db->err, sizeof db->err, "%s", sqlite3_errmsg(db->sql));
    return rc;
}

/* Ends a failed transaction, keeping SQLite's reason (e.g. "database or
 * disk is full") for mds_db_errmsg: a ROLLBACK would replace it, and when
 * COMMIT itself failed SQLite may already have rolled back, so a second
 * ROLLBACK would report "no transaction is active" instead. */
static void rollback(struct mds_db *db)
{
    if (!db->err[0])
        snprintf(db->err, sizeof db->err, "%s", sqlite3_errmsg(db->sql));
    if (!sqlite3_get_autocommit(db->sql))
        exec(db, "ROLLBACK");
}

static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* Inserts one record and its routes (inside the caller's transaction). */
static int insert_record(struct mds_db *db, const char *source, int kind, const char *const *routes,
                         size_t nroutes, const struct mds_item *it, mds_ticks now)
{
    sqlite3_stmt *rec = db->st[ST_RECORD_INSERT];
    sqlite3_bind_text(rec, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int(rec, 2, kind);
    sqlite3_bind_text(rec, 3, it->id, (int)it->id_len, SQLITE_STATIC);
    sqlite3_bind_int64(rec, 4, it->version);
    sqlite3_bind_int64(rec, 5, now);
    sqlite3_bind_blob(rec, 6, it->body, (int)it->body_len, SQLITE_STATIC);
    if (step_reset(rec) != SQLITE_DONE)
        return -1;
    int64_t seq = sqlite3_last_insert_rowid(db->sql);
    for (size_t r = 0; r < nroutes; r++) {
        sqlite3_stmt *route = db->st[ST_ROUTE_INSERT];
        sqlite3_bind_text(route, 1, routes[r], -1, SQLITE_STATIC);
        sqlite3_bind_int64(route, 2, seq);
        if (step_reset(route) != SQLITE_DONE)
            return -1;
    }
    return 0;
}

static int store_item(struct mds_db *db, const char *source, int kind, const char *const *routes, size_t nroutes,
                      const struct mds_item *it, mds_ticks now, size_t *accepted, int64_t *bytes)
{
    sqlite3_stmt *seen = db->st[ST_SEEN_INSERT];
    sqlite3_bind_text(seen, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(seen, 2, it->id, (int)it->id_len, SQLITE_STATIC);
    sqlite3_bind_int64(seen, 3, it->version);
    if (step_reset(seen) != SQLITE_DONE)
        return -1;
    if (sqlite3_changes(db->sql) == 0)
        return 0; /* duplicate version */
    if (insert_record(db, source, kind, routes, nroutes, it, now))
        return -1;
    (*accepted)++;
    *bytes += (int64_t)it->body_len;
    return 0;
}

mds_err mds_db_commit_page(struct mds_db *db, const char *source, int kind, const char *const *routes,
                           size_t nroutes, const struct mds_item *items, size_t n, const mds_ticks *cursor,
                           size_t *accepted)
{
    return mds_db_commit_page_keyed(db, source, source, kind, routes, nroutes, items, n, cursor, accepted);
}

mds_err mds_db_commit_page_keyed(struct mds_db *db, const char *source, const char *cursor_key, int kind,
                                 const char *const *routes, size_t nroutes, const struct mds_item *items, size_t n,
                                 const mds_ticks *cursor, size_t *accepted)
{
    mds_ticks now = mds_time_now();
    int64_t bytes = 0;
    *accepted = 0;
    db->committed_bytes = 0;
    if (begin(db) != SQLITE_OK)
        return MDS_ERR_STATE;
    for (size_t i = 0; i < n; i++)
        if (store_item(db, source, kind, routes, nroutes, &items[i], now, accepted, &bytes))
            goto fail;
    if (cursor) {
        sqlite3_stmt *st = db->st[ST_CURSOR_SET];
        sqlite3_bind_text(st, 1, cursor_key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, *cursor);
        sqlite3_bind_int64(st, 3, now);
        if (step_reset(st) != SQLITE_DONE)
            goto fail;
    }
    if (exec(db, "COMMIT") == SQLITE_OK) {
        db->committed_bytes = bytes;
        return MDS_OK;
    }
fail:
    rollback(db);
    *accepted = 0;
    return MDS_ERR_STATE;
}

int64_t mds_db_committed_bytes(const struct mds_db *db) { return db->committed_bytes; }

mds_err mds_db_cursor(struct mds_db *db, const char *source, mds_ticks *cursor)
{
    sqlite3_stmt *st = NULL;
    mds_err rc = MDS_ERR_NOTFOUND;
    if (sqlite3_prepare_v2(db->sql, "SELECT cursor FROM cursors WHERE source = ?1", -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *cursor = sqlite3_column_int64(st, 0);
        rc = MDS_OK;
    } else if (r != SQLITE_DONE) {
        rc = MDS_ERR_STATE;
    }
    sqlite3_finalize(st);
    return rc;
}

static mds_err run_bound(struct mds_db *db, const char *sql, const char *text, int64_t num, int64_t num2)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, num);
    sqlite3_bind_int64(st, 3, num2);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE || r == SQLITE_ROW ? MDS_OK : MDS_ERR_STATE;
}

mds_err mds_db_prune_seen(struct mds_db *db, const char *source, mds_ticks before)
{
    return run_bound(db, "DELETE FROM seen WHERE source = ?1 AND version < ?2", source, before, 0);
}

static mds_err pending_row(sqlite3_stmt *st, struct mds_pending *row, struct mds_buf *store)
{
    mds_err rc;
    row->seq = sqlite3_column_int64(st, 0);
    row->kind = sqlite3_column_int(st, 1);
    row->version = sqlite3_column_int64(st, 2);
    row->stored = sqlite3_column_int64(st, 3);
    row->source_off = store->len;
    if ((rc = mds_buf_append(store, sqlite3_column_text(st, 4), (size_t)sqlite3_column_bytes(st, 4) + 1)))
        return rc;
    row->id_off = store->len;
    row->id_len = (size_t)sqlite3_column_bytes(st, 5);
    if ((rc = mds_buf_append(store, sqlite3_column_text(st, 5), row->id_len + 1)))
        return rc;
    row->body_off = store->len;
    row->body_len = (size_t)sqlite3_column_bytes(st, 6);
    return mds_buf_append(store, sqlite3_column_blob(st, 6), row->body_len);
}

mds_err mds_db_pending(struct mds_db *db, const char *output, struct mds_pending *rows, size_t max, size_t *n,
                       struct mds_buf *store)
{
    sqlite3_stmt *st = db->st[ST_PENDING];
    mds_err rc = MDS_OK;
    int r;
    *n = 0;
    mds_buf_reset(store);
    db->err[0] = '\0';
    sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)max);
    while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW)
        rc = pending_row(st, &rows[(*n)++], store);
    if (!rc && r != SQLITE_DONE)
        rc = MDS_ERR_STATE;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* Counts an acknowledged batch for today, in the ack's transaction. */
static int count_daily(struct mds_db *db, const char *output, const struct mds_pending *rows, size_t n)
{
    int64_t lo = rows[0].seq, hi = rows[0].seq, day = mds_db_day(mds_time_now());
    for (size_t i = 1; i < n; i++) {
        lo = rows[i].seq < lo ? rows[i].seq : lo;
        hi = rows[i].seq > hi ? rows[i].seq : hi;
    }
    sqlite3_stmt *src = db->st[ST_DAILY_SOURCES];
    sqlite3_bind_text(src, 1, output, -1, SQLITE_STATIC);
    sqlite3_bind_int64(src, 2, lo);
    sqlite3_bind_int64(src, 3, hi);
    sqlite3_bind_int64(src, 4, day);
    if (step_reset(src) != SQLITE_DONE)
        return -1;
    sqlite3_stmt *out = db->st[ST_DAILY_OUTPUT];
    sqlite3_bind_text(out, 1, output, -1, SQLITE_STATIC);
    sqlite3_bind_int64(out, 2, day);
    sqlite3_bind_int64(out, 3, (int64_t)n);
    return step_reset(out) == SQLITE_DONE ? 0 : -1;
}

mds_err mds_db_ack(struct mds_db *db, const char *output, const struct mds_pending *rows, size_t n)
{
    if (begin(db) != SQLITE_OK)
        return MDS_ERR_STATE;
    if (n && count_daily(db, output, rows, n))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *del = db->st[ST_ROUTE_DELETE];
        sqlite3_bind_text(del, 1, output, -1, SQLITE_STATIC);
        sqlite3_bind_int64(del, 2, rows[i].seq);
        if (step_reset(del) != SQLITE_DONE)
            goto fail;
        sqlite3_stmt *rec = db->st[ST_RECORD_DELETE];
        sqlite3_bind_int64(rec, 1, rows[i].seq);
        if (step_reset(rec) != SQLITE_DONE)
            goto fail;
    }
    if (exec(db, "COMMIT") == SQLITE_OK)
        return MDS_OK;
fail:
    rollback(db);
    return MDS_ERR_STATE;
}

mds_err mds_db_outbox_depth(struct mds_db *db, const char *output, int64_t *rows, int64_t *bytes)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT count(*), coalesce(sum(length(r.body)), 0) FROM routes x "
                           "JOIN records r ON r.seq = x.seq WHERE x.output = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
    mds_err rc = MDS_ERR_STATE;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *rows = sqlite3_column_int64(st, 0);
        *bytes = sqlite3_column_int64(st, 1);
        rc = MDS_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

mds_err mds_db_source_result(struct mds_db *db, const char *source, int ok, const char *error, int64_t fetched,
                             int64_t accepted)
{
    sqlite3_stmt *st = NULL;
    const char *sql =
        "INSERT INTO source_status(source, last_attempt, last_success, last_error, fetched, accepted) "
        "VALUES (?1, ?2, CASE WHEN ?3 THEN ?2 END, ?4, ?5, ?6) ON CONFLICT(source) DO UPDATE SET "
        "last_attempt = ?2, last_success = CASE WHEN ?3 THEN ?2 ELSE last_success END, "
        "last_error = CASE WHEN ?3 THEN NULL ELSE ?4 END, fetched = fetched + ?5, accepted = accepted + ?6";
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, mds_time_now());
    sqlite3_bind_int(st, 3, ok);
    if (error)
        sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, fetched);
    sqlite3_bind_int64(st, 6, accepted);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? MDS_OK : MDS_ERR_STATE;
}

mds_err mds_db_output_result(struct mds_db *db, const char *output, int ok, const char *error, int64_t delivered)
{
    sqlite3_stmt *st = NULL;
    const char *sql = "INSERT INTO output_status(output, last_success, last_error, delivered) "
                      "VALUES (?1, CASE WHEN ?3 THEN ?2 END, ?4, ?5) ON CONFLICT(output) DO UPDATE SET "
                      "last_success = CASE WHEN ?3 THEN ?2 ELSE last_success END, "
                      "last_error = CASE WHEN ?3 THEN NULL ELSE ?4 END, delivered = delivered + ?5";
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, mds_time_now());
    sqlite3_bind_int(st, 3, ok);
    if (error)
        sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, delivered);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? MDS_OK : MDS_ERR_STATE;
}

mds_err mds_db_each_source(struct mds_db *db, void (*fn)(const struct mds_source_status *, void *), void *arg)
{
    sqlite3_stmt *st = NULL;
    const char *sql =
        "WITH names AS (SELECT source FROM source_status UNION SELECT source FROM cursors) "
        "SELECT n.source, c.cursor, s.last_attempt, s.last_success, s.last_error, coalesce(s.fetched, 0), "
        "coalesce(s.accepted, 0), (SELECT count(*) FROM records r WHERE r.source = n.source), "
        "(SELECT coalesce(sum(d.records), 0) FROM delivered_daily d WHERE d.kind = 'source' "
        " AND d.name = n.source AND d.day = ?1) "
        "FROM names n LEFT JOIN source_status s ON s.source = n.source "
        "LEFT JOIN cursors c ON c.source = n.source ORDER BY 1";
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    sqlite3_bind_int64(st, 1, mds_db_day(mds_time_now()));
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct mds_source_status s = {
            .name = (const char *)sqlite3_column_text(st, 0),
            .has_cursor = sqlite3_column_type(st, 1) != SQLITE_NULL,
            .cursor = sqlite3_column_int64(st, 1),
            .last_attempt = sqlite3_column_int64(st, 2),
            .last_success = sqlite3_column_int64(st, 3),
            .last_error = (const char *)sqlite3_column_text(st, 4),
            .fetched = sqlite3_column_int64(st, 5),
            .accepted = sqlite3_column_int64(st, 6),
            .outbox = sqlite3_column_int64(st, 7),
            .delivered_today = sqlite3_column_int64(st, 8),
        };
        fn(&s, arg);
    }
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? MDS_OK : MDS_ERR_STATE;
}

mds_err mds_db_each_output(struct mds_db *db, void (*fn)(const struct mds_output_status *, void *), void *arg)
{
    sqlite3_stmt *st = NULL;
    const char *sql =
        "WITH names AS (SELECT output FROM output_status UNION SELECT DISTINCT output FROM routes) "
        "SELECT n.output, o.last_success, o.last_error, coalesce(o.delivered, 0), "
        "(SELECT count(*) FROM routes x WHERE x.output = n.output), "
        "(SELECT coalesce(sum(length(r.body)), 0) FROM routes x JOIN records r ON r.seq = x.seq "
        " WHERE x.output = n.output), "
        "(SELECT coalesce(sum(d.records), 0) FROM delivered_daily d WHERE d.kind = 'output' "
        " AND d.name = n.output AND d.day = ?1) "
        "FROM names n LEFT JOIN output_status o ON o.output = n.output ORDER BY 1";
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    sqlite3_bind_int64(st, 1, mds_db_day(mds_time_now()));
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct mds_output_status o = {
            .name = (const char *)sqlite3_column_text(st, 0),
            .last_success = sqlite3_column_int64(st, 1),
            .last_error = (const char *)sqlite3_column_text(st, 2),
            .delivered = sqlite3_column_int64(st, 3),
            .pending_rows = sqlite3_column_int64(st, 4),
            .pending_bytes = sqlite3_column_int64(st, 5),
            .delivered_today = sqlite3_column_int64(st, 6),
        };
        fn(&o, arg);
    }
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? MDS_OK : MDS_ERR_STATE;
}

mds_err mds_db_served_insert(struct mds_db *db, mds_ticks processed, const char *group, const char *device_tags,
                             const char *cloud_tags, const char *body, size_t len)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db->sql,
                           "INSERT INTO served(processed, machine_group, device_tags, cloud_tags, body) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, 0, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    sqlite3_bind_int64(st, 1, processed);
    sqlite3_bind_text(st, 2, group, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, device_tags, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, cloud_tags, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, body, (int)len, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? MDS_OK : MDS_ERR_STATE;
}

mds_err mds_db_begin(struct mds_db *db) { return begin(db) == SQLITE_OK ? MDS_OK : MDS_ERR_STATE; }

mds_err mds_db_commit(struct mds_db *db)
{
    if (exec(db, "COMMIT") == SQLITE_OK)
        return MDS_OK;
    rollback(db);
    return MDS_ERR_STATE;
}

void mds_db_rollback(struct mds_db *db) { rollback(db); }

mds_err mds_db_served_latest(struct mds_db *db, mds_ticks *processed)
{
    sqlite3_stmt *st = NULL;
    *processed = 0;
    if (sqlite3_prepare_v2(db->sql, "SELECT coalesce(max(processed), 0) FROM served", -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    if (sqlite3_step(st) == SQLITE_ROW)
        *processed = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return MDS_OK;
}

mds_err mds_db_served_prune(struct mds_db *db, mds_ticks before)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql, "DELETE FROM served WHERE processed < ?1", -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    sqlite3_bind_int64(st, 1, before);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? MDS_OK : MDS_ERR_STATE;
}

mds_err mds_db_served_query(struct mds_db *db, mds_ticks after, mds_ticks until, int64_t limit,
                            int (*fn)(void *arg, mds_ticks processed, const char *group, const char *device_tags,
                                      const char *cloud_tags, const char *body, size_t len),
                            void *arg)
{
    sqlite3_stmt *st = NULL;
    /* the most recent `limit` of the range, returned oldest first */
    const char *sql = "SELECT processed, machine_group, device_tags, cloud_tags, body FROM ("
                      "SELECT * FROM served WHERE processed > ?1 AND processed <= ?2 "
                      "ORDER BY processed DESC LIMIT ?3) ORDER BY processed ASC";
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, until);
    sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(arg, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
               (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
               sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4)))
            break;
    }
    sqlite3_finalize(st);
    return r == SQLITE_DONE || r == SQLITE_ROW ? MDS_OK : MDS_ERR_STATE;
}

/* ---- stream sources (eventhub) ---- */

static sqlite3_stmt *stream_stmt(struct mds_db *db, int which)
{
    if (!db->sst[which] && sqlite3_prepare_v3(db->sql, stream_statements[which], -1, SQLITE_PREPARE_PERSISTENT,
                                              &db->sst[which], NULL) != SQLITE_OK)
        return NULL;
    return db->sst[which];
}

/* 1 when the digest is new (and now recorded), 0 when seen before, -1 on error. */
static int stream_digest_new(struct mds_db *db, const char *source, const unsigned char *digest, mds_ticks now)
{
    sqlite3_stmt *st = stream_stmt(db, SST_SEEN_INSERT);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, digest, MDS_STREAM_DIGEST_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    if (step_reset(st) != SQLITE_DONE)
        return -1;
    return sqlite3_changes(db->sql) > 0;
}

mds_err mds_db_commit_stream(struct mds_db *db, const char *source, int kind, const char *const *routes,
                             size_t nroutes, const struct mds_stream_msg *msgs, size_t nmsgs,
                             const struct mds_item *items, int dedupe, size_t *accepted, size_t *dup_msgs)
{
    mds_ticks now = mds_time_now();
    int64_t bytes = 0;
    *accepted = *dup_msgs = 0;
    db->committed_bytes = 0;
    if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return MDS_ERR_STATE;
    for (size_t m = 0; m < nmsgs; m++) {
        int fresh = dedupe ? stream_digest_new(db, source, msgs[m].digest, now) : 1;
        if (fresh < 0)
            goto fail;
        if (!fresh) {
            (*dup_msgs)++;
            continue;
        }
        for (size_t i = msgs[m].first; i < msgs[m].first + msgs[m].count; i++) {
            if (insert_record(db, source, kind, routes, nroutes, &items[i], now))
                goto fail;
            bytes += (int64_t)items[i].body_len;
        }
        *accepted += msgs[m].count;
    }
    if (exec(db, "COMMIT") == SQLITE_OK) {
        db->committed_bytes = bytes;
        return MDS_OK;
    }
fail:
    exec(db, "ROLLBACK");
    *accepted = *dup_msgs = 0;
    return MDS_ERR_STATE;
}

/* 1 when the digest is recorded, 0 when not, -1 on error. */
static int stream_digest_known(struct mds_db *db, const char *source, const unsigned char *digest)
{
    sqlite3_stmt *st = stream_stmt(db, SST_SEEN_FIND);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, digest, MDS_STREAM_DIGEST_LEN, SQLITE_STATIC);
    int r = step_reset(st);
    return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

static int by_digest(const void *a, const void *b)
{
    const struct mds_stream_msg *x = *(const struct mds_stream_msg *const *)a;
    const struct mds_stream_msg *y = *(const struct mds_stream_msg *const *)b;
    int c = memcmp(x->digest, y->digest, MDS_STREAM_DIGEST_LEN);
    return c ? c : (x > y) - (x < y); /* equal bodies: the earlier message first */
}

/* Marks every message that repeats an earlier one of the same batch. */
static mds_err mark_batch_repeats(struct mds_stream_msg *msgs, size_t nmsgs)
{
    struct mds_stream_msg **order = mds_malloc(nmsgs * sizeof *order);
    if (!order)
        return MDS_ERR_NOMEM;
    for (size_t i = 0; i < nmsgs; i++)
        order[i] = &msgs[i];
    qsort(order, nmsgs, sizeof *order, by_digest);
    for (size_t i = 1; i < nmsgs; i++)
        if (memcmp(order[i]->digest, order[i - 1]->digest, MDS_STREAM_DIGEST_LEN) == 0)
            order[i]->dup = 1;
    mds_free(order);
    return MDS_OK;
}

mds_err mds_db_stream_mark_seen(struct mds_db *db, const char *source, struct mds_stream_msg *msgs, size_t nmsgs,
                                size_t *dup_msgs)
{
    *dup_msgs = 0;
    for (size_t m = 0; m < nmsgs; m++)
        msgs[m].dup = 0;
    if (nmsgs > 1 && mark_batch_repeats(msgs, nmsgs))
        return MDS_ERR_NOMEM;
    for (size_t m = 0; m < nmsgs; m++) {
        int known = msgs[m].dup ? 1 : stream_digest_known(db, source, msgs[m].digest);
        if (known < 0)
            return MDS_ERR_STATE;
        msgs[m].dup = known;
        *dup_msgs += (size_t)known;
    }
    return MDS_OK;
}

mds_err mds_db_stream_remember(struct mds_db *db, const char *source, const struct mds_stream_msg *msgs,
                               size_t nmsgs)
{
    mds_ticks now = mds_time_now();
    if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return MDS_ERR_STATE;
    for (size_t m = 0; m < nmsgs; m++)
        if (!msgs[m].dup && stream_digest_new(db, source, msgs[m].digest, now) < 0) {
            exec(db, "ROLLBACK");
            return MDS_ERR_STATE;
        }
    return exec(db, "COMMIT") == SQLITE_OK ? MDS_OK : (exec(db, "ROLLBACK"), MDS_ERR_STATE);
}

mds_err mds_db_stream_prune(struct mds_db *db, const char *source, mds_ticks before)
{
    return run_bound(db, "DELETE FROM stream_seen WHERE source = ?1 AND seen < ?2", source, before, 0);
}

static int bind_partition(sqlite3_stmt *st, const struct mds_stream_partition *p)
{
    sqlite3_bind_text(st, 1, p->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->topic, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, p->partition);
    if (p->committed >= 0)
        sqlite3_bind_int64(st, 4, p->committed);
    if (p->high >= 0)
        sqlite3_bind_int64(st, 5, p->high);
    sqlite3_bind_int64(st, 6, p->updated ? p->updated : mds_time_now());
    return step_reset(st) == SQLITE_DONE ? 0 : -1;
}

mds_err mds_db_stream_partitions_set(struct mds_db *db, const struct mds_stream_partition *parts, size_t n)
{
    sqlite3_stmt *st = stream_stmt(db, SST_PARTITION_SET);
    if (!st || exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return MDS_ERR_STATE;
    for (size_t i = 0; i < n; i++)
        if (bind_partition(st, &parts[i]))
            goto fail;
    if (exec(db, "COMMIT") == SQLITE_OK)
        return MDS_OK;
fail:
    exec(db, "ROLLBACK");
    return MDS_ERR_STATE;
}

mds_err mds_db_stream_partition_forget(struct mds_db *db, const char *source, const char *topic, int32_t partition)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql, "DELETE FROM stream_partitions WHERE source = ?1 AND topic = ?2 AND partition = ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_STATE;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, topic, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, partition);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? MDS_OK : MDS_ERR_STATE;
}

mds_err mds_db_each_stream_partition(struct mds_db *db, void (*fn)(const struct mds_stream_partition *, void *),
                                     void *arg)
{
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT source, topic, partition, coalesce(committed, -1), coalesce(high, -1), updated "
                      "FROM stream_partitions ORDER BY 1, 2, 3";
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return MDS_ERR_NOTFOUND; /* a state file from before the stream tables */
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct mds_stream_partition p = {
            .source = (const char *)sqlite3_column_text(st, 0),
            .topic = (const char *)sqlite3_column_text(st, 1),
            .partition = sqlite3_column_int(st, 2),
            .committed = sqlite3_column_int64(st, 3),
            .high = sqlite3_column_int64(st, 4),
            .updated = sqlite3_column_int64(st, 5),
        };
        fn(&p, arg);
    }
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? MDS_OK : MDS_ERR_STATE;
}

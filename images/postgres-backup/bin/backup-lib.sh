# shellcheck shell=bash
# Shared by the backup jobs: logging to stdout, metrics for node-exporter's textfile collector
# and the locks that keep two jobs of one kind from running at once. Every default below is the
# backup container's layout (components/backup/layout.ts); the tests set them to their own paths.

: "${PGBACKREST_STANZA:=waste}"
: "${BACKUP_METRICS_DIR:=/var/lib/backup-metrics}"
: "${BACKUP_LOCK_DIR:=/tmp/waste-backup}"
: "${BACKUP_LOCK_WAIT:=600}"
export PGBACKREST_STANZA

log() {
  printf '%s %s[%d]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${BACKUP_JOB:-backup}" "$$" "$*"
}

die() {
  log "ERROR: $*"
  exit 1
}

# The value of one sample in a metrics file, or $3 when the file or the sample is missing.
metric_value() {
  local file=$1 sample=$2 default=$3 value=""
  if [[ -f $file ]]; then
    value=$(awk -v key="$sample" '$1 == key { print $2 }' "$file")
  fi
  printf '%s\n' "${value:-$default}"
}

# Writes stdin as <name>.prom: a temporary file renamed over the old one, so the collector never
# reads half a file.
write_metrics() {
  local name=$1 tmp
  mkdir -p "$BACKUP_METRICS_DIR"
  tmp=$(mktemp "$BACKUP_METRICS_DIR/.$name.XXXXXX")
  cat >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$BACKUP_METRICS_DIR/$name.prom"
}

# Records the outcome of a run of one job for Prometheus.
#   record_run <file> <prefix> <labels> <ok|failed> [duration seconds] [size bytes]
# <prefix>_last_success_timestamp_seconds, _last_duration_seconds and _last_size_bytes describe
# the last successful run; _failures_total counts failed and skipped runs; _last_run_success is
# 1 or 0 for the latest run.
record_run() {
  local file=$1 prefix=$2 labels=$3 outcome=$4 duration=${5:-} size=${6:-}
  local path="$BACKUP_METRICS_DIR/$file.prom"
  local success failures last_duration last_size status=1
  success=$(metric_value "$path" "${prefix}_last_success_timestamp_seconds$labels" 0)
  failures=$(metric_value "$path" "${prefix}_failures_total$labels" 0)
  last_duration=$(metric_value "$path" "${prefix}_last_duration_seconds$labels" 0)
  last_size=$(metric_value "$path" "${prefix}_last_size_bytes$labels" 0)
  if [[ $outcome == ok ]]; then
    success=$(date -u +%s)
    last_duration=${duration:-$last_duration}
    last_size=${size:-$last_size}
  else
    failures=$((failures + 1))
    status=0
  fi
  write_metrics "$file" <<METRICS
# HELP ${prefix}_last_success_timestamp_seconds Unix time the last successful run finished.
# TYPE ${prefix}_last_success_timestamp_seconds gauge
${prefix}_last_success_timestamp_seconds$labels $success
# HELP ${prefix}_last_duration_seconds Seconds the last successful run took.
# TYPE ${prefix}_last_duration_seconds gauge
${prefix}_last_duration_seconds$labels $last_duration
# HELP ${prefix}_last_size_bytes Bytes the last successful run stored in the repository.
# TYPE ${prefix}_last_size_bytes gauge
${prefix}_last_size_bytes$labels $last_size
# HELP ${prefix}_failures_total Runs that failed or were skipped.
# TYPE ${prefix}_failures_total counter
${prefix}_failures_total$labels $failures
# HELP ${prefix}_last_run_success Whether the latest run succeeded (1) or not (0).
# TYPE ${prefix}_last_run_success gauge
${prefix}_last_run_success$labels $status
METRICS
}

# Takes the lock <name> on file descriptor 9, waiting up to BACKUP_LOCK_WAIT seconds. Returns 1
# when another job still holds it; the caller logs the skip and counts it as a failure.
take_lock() {
  local name=$1
  mkdir -p "$BACKUP_LOCK_DIR"
  exec 9>"$BACKUP_LOCK_DIR/$name.lock"
  if flock -n 9; then
    return 0
  fi
  log "waiting up to ${BACKUP_LOCK_WAIT}s for $name: another job holds it"
  flock -w "$BACKUP_LOCK_WAIT" 9
}

# backup-restore leaves this marker from before it restores until the server is open again
# (backup-restore --finish). With the server down or replaying WAL a backup can only fail, so the
# jobs that need it skip meanwhile, with a log line and no failure counted.
RESTORE_MARKER="$BACKUP_LOCK_DIR/restore-in-progress"

# Whether a restore is under way. A marker whose server is open again (the restore was never
# finished by ops) is removed here, so backups never stay skipped after a restore.
restore_in_progress() {
  [[ -f $RESTORE_MARKER ]] || return 1
  if pg_isready -q -t 5 &&
    [[ $(psql -X -A -t -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null) == f ]]; then
    log "removing the marker of a finished restore ($(head -n 1 "$RESTORE_MARKER")): PostgreSQL is open"
    rm -f "$RESTORE_MARKER"
    return 1
  fi
  return 0
}

# Extra files (manifests, Redis snapshots, system archives) go through pgBackRest's repo-put and
# repo-get, so they land in the same storage as the backups, posix or S3, encrypted with the
# repository's own passphrase. pgBackRest 2.45 marks these commands and --cipher-pass as meant
# for administration rather than for a normal setup; they are the only way to reach an encrypted
# repository with its own storage driver, and the tests read back everything they write.
repo_put() {
  PGBACKREST_CIPHER_PASS=${PGBACKREST_REPO1_CIPHER_PASS:-} pgbackrest repo-put "$1"
}
repo_get() {
  PGBACKREST_CIPHER_PASS=${PGBACKREST_REPO1_CIPHER_PASS:-} pgbackrest repo-get "$1"
}

# The repository path of extra files (manifests, Redis snapshots, system archives) of the stanza.
extra_path() {
  printf 'extra/%s/%s\n' "$PGBACKREST_STANZA" "$1"
}

# Keeps the newest <keep> files of a repository directory and removes the rest.
prune_repo_dir() {
  local dir=$1 keep=$2 old
  pgbackrest repo-ls --sort=desc "$dir" | tail -n +"$((keep + 1))" | while read -r old; do
    [[ -n $old ]] || continue
    log "removing $dir/$old: more than $keep are kept"
    pgbackrest repo-rm "$dir/$old"
  done
}

# Removes the manifests of backups pgBackRest no longer holds: its retention expires backups at
# the end of each backup, and a manifest is only worth its backup.
prune_manifests() {
  local labels file
  labels=$(stanza_info | jq -r '.backup[].label') || return 1
  pgbackrest repo-ls "$(extra_path manifest)" | while read -r file; do
    [[ $file == *.tsv ]] || continue
    if ! grep -qxF "${file%.tsv}" <<<"$labels"; then
      pgbackrest repo-rm "$(extra_path "manifest/$file")"
      log "removed the manifest of ${file%.tsv}: pgBackRest no longer holds it"
    fi
  done
}

# The JSON of `pgbackrest info` for the stanza.
stanza_info() {
  pgbackrest info --output=json | jq -c '.[0]'
}

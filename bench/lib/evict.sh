# Sourced by the benchmarks that report peak RSS. evict FILE...: drops each file's pages from the
# page cache, so that the binary measured sits in memory as running it leaves it, as the peers'
# installed binaries do. A file just linked or copied is whole in the page cache (in large
# folios), and the kernel's fault-around then maps far more of it into the process: the same
# netshoot binary measures ~1 MiB more peak RSS straight after `cp` than after this.
evict() {
  python3 - "$@" <<'PY'
import os, sys
for f in sys.argv[1:]:
    fd = os.open(f, os.O_RDONLY)
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
PY
}

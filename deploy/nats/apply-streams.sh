#!/bin/sh
# Create or update every JetStream stream described in deploy/nats/streams/*.json (nats CLI config format).
# Runs in natsio/nats-box as compose's one-shot `nats-init`; services also call ensure_stream with the same
# settings, so whichever runs first wins and the other is a no-op.
set -eu
dir="${1:-/streams}"
for file in "$dir"/*.json; do
  name=$(sed -n 's/.*"name"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$file" | head -n 1)
  if nats stream info "$name" >/dev/null 2>&1; then
    nats stream edit "$name" --config "$file" --force
  else
    nats stream add "$name" --config "$file"
  fi
  echo "stream $name ready"
done

#!/usr/bin/env bash
# Start the service, run the spec's automated client (accept every stage of a social_media
# video), print where the MP4 is, and stop the service again.
set -euo pipefail
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
LOG=${CREATOR_DATA_DIR:-data}/demo-server.log
mkdir -p "$(dirname "$LOG")"

"$BIN/uvicorn" creator_service.app:app --host "$HOST" --port "$PORT" >"$LOG" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  if curl -fsS "http://$HOST:$PORT/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then echo "the server did not start; see $LOG" >&2; exit 1; fi
  sleep 0.2
done

"$BIN/python" -m creator_service.client --auto --url "ws://$HOST:$PORT/ws/creator" "$@"

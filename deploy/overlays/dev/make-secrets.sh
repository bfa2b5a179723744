#!/bin/sh
# Writes the dev overlay's secrets/ (git ignores it): a random PostgreSQL
# password and the URL every service uses with it, random PII keys, and copies
# of the DEVELOPMENT-ONLY signing keys of deploy/dev-keys. Existing files are
# kept, so the sealed data of a running dev cluster stays readable.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/secrets"
keys="$here/../../dev-keys"
mkdir -p "$out"

# Values have no trailing newline: a Secret's file becomes an environment
# variable as it is.
random() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
write() { [ -e "$out/$1" ] || { printf '%s' "$2" > "$out/$1"; echo "wrote secrets/$1"; }; }

write postgres-password "$(random 24 | tr -d '/+=')"
write database-url "postgres://relief:$(cat "$out/postgres-password")@postgres:5432/relief"
write pii-encryption-key "$(random 32)"
write pii-hash-key "$(random 32)"
write household-encryption-key "$(random 32)"
# The first administrator (login "admin"), created while no user exists.
write admin-password "$(random 18 | tr -d '/+=')"
for service in gateway ledger workflow funds notify; do
  [ -e "$out/$service.key.pem" ] || cp "$keys/$service.key.pem" "$out/$service.key.pem"
done
chmod 600 "$out"/*

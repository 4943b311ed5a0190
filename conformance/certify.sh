#!/bin/sh
# Prepares a deployment for the OpenID Foundation's conformance suite: registers the resident
# and the static clients the plans use, then writes each plan's configuration, ready to paste
# into https://www.certification.openid.net (or a private suite), into conformance/out/.
#
#   conformance/certify.sh ISSUER ALIAS [SUITE]
#
# ISSUER  the deployment's https issuer (e.g. https://connect-recette.grandlyon.example)
# ALIAS   the alias of the test plans at the suite (it names their callback URLs)
# SUITE   the suite's base URL (default https://www.certification.openid.net)
#
# Run it where `glc` reaches the deployment's database and keys (same glc.toml). The Dynamic
# plan registers its own clients: run the certification deployment with
# GLC_OPEN_REGISTRATION=true (never a production one).
set -eu
ISSUER=${1:?issuer}
ALIAS=${2:?alias}
SUITE=${3:-https://www.certification.openid.net}
GLC=${GLC:-glc}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/out}
BASE="$SUITE/test/a/$ALIAS"
LOGIN=${LOGIN:-certification@grandlyon.example}
PASSWORD=${PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}

json_field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1; }

"$GLC" user create --email "$LOGIN" --password "$PASSWORD" --given-name Camille --family-name Martin >/dev/null

static_client() {
  "$GLC" client create --name "$1" --auth-method "$2" --json \
    --redirect-uri "$BASE/callback" \
    --post-logout-redirect-uri "$BASE/post_logout_redirect" \
    --backchannel-logout-uri "$BASE/backchannel_logout" \
    --frontchannel-logout-uri "$BASE/frontchannel_logout" \
    --request-object-alg none --request-uri "$BASE/requesturi" \
    --scope openid --scope profile --scope email --scope address --scope phone --scope offline_access
}

c1=$(static_client "Conformance 1" client_secret_basic)
c2=$(static_client "Conformance 2" client_secret_basic)
c3=$(static_client "Conformance client_secret_post" client_secret_post)

mkdir -p "$OUT"
for plan in "$HERE"/plans/*.json; do
  sed -e "s|{{ISSUER}}|$ISSUER|g" -e "s|{{ALIAS}}|$ALIAS|g" \
      -e "s|{{LOGIN}}|$LOGIN|g" -e "s|{{PASSWORD}}|$PASSWORD|g" \
      -e "s|{{CLIENT_ID}}|$(echo "$c1" | json_field client_id)|g" \
      -e "s|{{CLIENT_SECRET}}|$(echo "$c1" | json_field client_secret)|g" \
      -e "s|{{CLIENT2_ID}}|$(echo "$c2" | json_field client_id)|g" \
      -e "s|{{CLIENT2_SECRET}}|$(echo "$c2" | json_field client_secret)|g" \
      -e "s|{{POST_CLIENT_ID}}|$(echo "$c3" | json_field client_id)|g" \
      -e "s|{{POST_CLIENT_SECRET}}|$(echo "$c3" | json_field client_secret)|g" \
      "$plan" > "$OUT/$(basename "$plan")"
done
echo "plan configurations written to $OUT (they hold client secrets and the test password: keep them private)"

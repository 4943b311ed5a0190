# Sourced by benches/load.sh and benches/soak.sh: our provider configured like the peer of the
# shared harness — the same clients, the same resident — on the embedded default.
#
# glc_site DIR PORT   (needs GLC, the release binary): writes DIR/glc.toml for an instance on
# PORT, creates its database, the bench clients and the resident, and sets ours_env, the
# environment bench.sh and the load driver read for it.
glc_site() {
  local site=$1 port=$2
  rm -rf "$site" && mkdir -p "$site"
  cat > "$site/glc.toml" <<EOF
issuer = "http://127.0.0.1:$port"
bind = "127.0.0.1:$port"
database_url = "sqlite:$site/glc.db"
keys_dir = "$site/keys"
log_format = "text"
[mail]
outbox_dir = "$site/outbox"
EOF
  glc() { RUST_LOG=warn "$GLC" --config "$site/glc.toml" "$@"; }
  json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
  web_client() {
    glc client create --name "$2" --client-id "$1" --redirect-uri http://127.0.0.1:9999/cb \
      --grant-type authorization_code --grant-type refresh_token --id-token-alg RS256 --require-pkce --json \
      | json_field client_secret
  }
  glc migrate >/dev/null
  glc partner add-api metropole-de-lyon --uri urn:bench:api --name "API de banc d'essai" >/dev/null
  local cc_secret web_secret web2_secret
  cc_secret=$(glc client create --name "Banc client_credentials" --client-id bench-cc --grant-type client_credentials \
    --scope api:read --resource urn:bench:api --json | json_field client_secret)
  web_secret=$(web_client bench-web "Banc service A")
  web2_secret=$(web_client bench-web-2 "Banc service B")
  glc user create --email alice@bench.example --password 'un mot de passe de banc' --given-name Alice >/dev/null
  # Our introspection answers only the token's own client or its audience (RFC 7662 §4), so the
  # code-flow client introspects its own token (the peer lets any client introspect any token).
  ours_env=(CC_CLIENT_SECRET="$cc_secret" CC_SCOPE=api:read FLOW_CLIENT_SECRET="$web_secret"
    INTROSPECT_CLIENT_ID=bench-web INTROSPECT_CLIENT_SECRET="$web_secret"
    HOP_CLIENT_ID=bench-web-2 HOP_CLIENT_SECRET="$web2_secret"
    LOGIN_FIELD=email LOGIN_USER=alice@bench.example LOGIN_PASSWORD='un mot de passe de banc'
    FLOW_SCOPE='openid email profile offline_access')   # the peer issues refresh tokens without offline_access
}

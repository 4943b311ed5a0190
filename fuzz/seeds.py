#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs into fuzz/corpus/<target>/ (one file per seed, named by
its SHA-1 as libFuzzer names its own). The seeds are well-formed inputs the fuzzer mutates
from: real-looking requests, tokens signed with keys generated here (a JWS verifiable against
the JWK set beside it), and the shapes FranceConnect sends. Needs the `cryptography` package.

    python3 fuzz/seeds.py
"""
import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

CORPUS = Path(__file__).resolve().parent / "corpus"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n: int, size: int) -> str:
    return b64(n.to_bytes(size, "big"))


def write(target: str, data) -> None:
    data = data.encode() if isinstance(data, str) else data
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def es256_key(kid: str):
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "x": uint(numbers.x, 32), "y": uint(numbers.y, 32), "kid": kid}
    return key, jwk


def rs256_key(kid: str):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": uint(numbers.n, 256), "e": uint(numbers.e, 3), "kid": kid}
    return key, jwk


def jws(key, header: dict, claims: dict) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    if header["alg"] == "ES256":
        r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif header["alg"] == "RS256":
        signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = b""
    return f"{signing_input}.{b64(signature)}"


def oauth_params() -> None:
    for query in [
        "response_type=code&client_id=fuzz-web&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&scope=openid%20profile"
        "&state=s&nonce=n&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback"
        "&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "grant_type=refresh_token&refresh_token=r&scope=openid",
        'claims=%7B%22userinfo%22%3A%7B%22email%22%3A%7B%22essential%22%3Atrue%7D%7D%7D&scope=openid+email',
        "code_challenge=abc&code_challenge_method=plain",
        "scope=openid&scope=email",
        "token_endpoint_auth_method=private_key_jwt&grant_type=client_credentials&subject_type=pairwise",
    ]:
        write("oauth_params", query)


def redirect_uri() -> None:
    for registered, requested in [
        ("https://app.example/callback", "https://app.example/callback"),
        ("http://127.0.0.1/native", "http://127.0.0.1:51234/native"),
        ("http://[::1]:8080/cb", "http://[::1]:9090/cb"),
        ("http://127.0.0.1/cb?x=1", "http://127.0.0.1:1/cb?x=1&y=2"),
        ("https://app.example/callback", "https://app.example/callback/../other"),
        ("fr.grandlyon.app:/cb", "fr.grandlyon.app:/cb"),
        ("http://localhost/cb", "http://localhost:1234/cb"),
    ]:
        write("redirect_uri", f"{registered}\0{requested}")


def jose() -> None:
    es, es_jwk = es256_key("client-es")
    rs, rs_jwk = rs256_key("client-rs")
    jwks = json.dumps({"keys": [es_jwk, rs_jwk]})
    assertion = {"iss": "fuzz-web", "sub": "fuzz-web", "aud": "http://127.0.0.1:9/token", "exp": 4000000000,
                 "iat": 1700000000, "jti": "j1"}
    write("jose", jws(es, {"alg": "ES256", "kid": "client-es"}, assertion) + "\0" + jwks)
    write("jose", jws(rs, {"alg": "RS256", "kid": "client-rs", "typ": "oauth-authz-req+jwt"},
                      {"iss": "fuzz-web", "aud": "http://127.0.0.1:9", "response_type": "code"}) + "\0" + jwks)
    write("jose", jws(es, {"alg": "ES256"}, assertion) + "\0" + jwks)
    write("jose", jws(None, {"alg": "none", "kid": "client-es"}, assertion) + "\0" + jwks)
    dpop_jwk = {k: v for k, v in es_jwk.items() if k != "kid"}
    proof = jws(es, {"alg": "ES256", "typ": "dpop+jwt", "jwk": dpop_jwk},
                {"htm": "POST", "htu": "http://127.0.0.1:9/token", "iat": 1700000000, "jti": "p1"})
    write("jose", proof + "\0" + json.dumps(dpop_jwk))
    write("jose", "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d\0{}")
    write("jose", "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVy.dGFn\0")


def franceconnect() -> None:
    es, es_jwk = es256_key("fc")
    jwks = json.dumps({"keys": [es_jwk]})
    identity = {"iss": "https://fc.example/api/v2", "aud": "glc", "sub": "fuzz-subject", "given_name": "Camille",
                "given_name_array": ["Camille"], "family_name": "Martin", "birthdate": "1990-01-01",
                "gender": "female", "birthplace": "69123", "birthcountry": "99100",
                "email": "camille@lyon.example", "rnipp_given_name": "Camille", "rnipp_family_name": "Martin"}
    write("franceconnect", jws(es, {"alg": "ES256", "kid": "fc"}, identity) + "\0" + jwks)
    id_token = {"iss": "https://fc.example/api/v2", "aud": "glc", "sub": "fuzz-subject", "exp": 4000000000,
                "iat": 1700000000, "nonce": "n" * 22, "acr": "eidas1", "amr": ["pwd"]}
    write("franceconnect", jws(es, {"alg": "ES256", "kid": "fc"}, id_token) + "\0" + jwks)
    write("franceconnect", "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTI1NkdDTSIsImtpZCI6Im91cnMifQ.a.b.c.d\0" + jwks)


def http_request() -> None:
    form = "Content-Type: application/x-www-form-urlencoded"
    redirect = "redirect_uri=https%3A%2F%2Fapp.example%2Fcallback"
    for text in [
        f"GET /authorize?response_type=code&client_id=fuzz-web&{redirect}&scope=openid&state=s&nonce=n\n\n",
        f"GET /authorize?response_type=code&client_id=fuzz-native&redirect_uri=http%3A%2F%2F127.0.0.1%3A4000%2Fnative"
        "&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256\n"
        "Cookie: glc_session=@SESSION@\n\n",
        f"POST /token\n{form}\nAuthorization: Basic @BASIC@\n\ngrant_type=authorization_code&code=x&{redirect}",
        f"POST /token\n{form}\n\ngrant_type=client_credentials&client_id=fuzz-web&client_secret=@SECRET@",
        f"POST /token\n{form}\n\ngrant_type=client_credentials&client_assertion_type="
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJhbGciOiJFUzI1NiJ9.e30.AA",
        f"POST /token\n{form}\nDPoP: eyJhbGciOiJFUzI1NiIsInR5cCI6ImRwb3Arand0In0.e30.AA\n\n"
        "grant_type=refresh_token&refresh_token=r&client_id=fuzz-native",
        f"POST /par\n{form}\nAuthorization: Basic @BASIC@\n\nresponse_type=code&{redirect}&scope=openid"
        "&request=eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.",
        "POST /register\nContent-Type: application/json\n\n"
        '{"redirect_uris":["https://app.example/cb"],"client_name":"x","token_endpoint_auth_method":"private_key_jwt",'
        '"jwks":{"keys":[]},"sector_identifier_uri":"https://10.0.0.1/s"}',
        "GET /userinfo\nAuthorization: Bearer @ADMIN@\n\n",
        "GET /userinfo\nAuthorization: DPoP abc\nDPoP: x.y.z\n\n",
        f"POST /introspect\n{form}\nAuthorization: Basic @BASIC@\n\ntoken=@ADMIN@",
        f"POST /revoke\n{form}\nAuthorization: Basic @BASIC@\n\ntoken=abc&token_type_hint=refresh_token",
        "GET /end_session?id_token_hint=eyJhbGciOiJSUzI1NiJ9.e30.AA&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye\n\n",
        "GET /account\nCookie: glc_session=@SESSION@; glc_flow=x\n\n",
        "GET /account/export\nCookie: glc_session=@SESSION@\n\n",
        f"POST /account/profile\n{form}\nCookie: glc_session=@SESSION@\n\ncsrf=x&given_name=A&phone_number=%2B33",
        "GET /consent/abc\nCookie: glc_session=@SESSION@\n\n",
        "POST /admin/api/partners\nAuthorization: Bearer @ADMIN@\nContent-Type: application/json\n\n"
        '{"name":"Bron","population":40000,"offer":"global"}',
        "PATCH /admin/api/partners/metropole\nAuthorization: Bearer @ADMIN@\nContent-Type: application/json\n"
        'If-Match: "1"\n\n{"name":null}',
        "POST /admin/api/clients\nAuthorization: Bearer @ADMIN@\nContent-Type: application/json\n\n"
        '{"name":"App","redirect_uris":["https://a.example/cb"],"grant_types":["authorization_code"]}',
        "POST /admin/api/residents/search\nAuthorization: Bearer @ADMIN@\nContent-Type: application/json\n\n"
        '{"email":"camille@lyon.example","reason":"appel"}',
        "GET /admin/api/journal?limit=5&after=0\nAuthorization: Bearer @ADMIN@\n\n",
        "GET /.well-known/openid-configuration\n\n",
        "GET /franceconnect/callback?code=c&state=s\nCookie: glc_flow=x\n\n",
    ]:
        write("http_request", text)


if __name__ == "__main__":
    oauth_params()
    redirect_uri()
    jose()
    franceconnect()
    http_request()
    for target in sorted(os.listdir(CORPUS)):
        print(target, len(os.listdir(CORPUS / target)))

// GrandLyon Connect: passkey ceremonies, the site's only script.
//
// A passkey form (`form[data-passkey]`) is hidden until this script finds WebAuthn in the
// browser. On submit it asks the server for the ceremony's options (`data-options`, posting the
// form's CSRF token), hands them to the browser's passkey dialog, then submits the form as an
// ordinary POST with the authenticator's answer in the hidden `credential` field: the server's
// response (a redirect, a page) is what any form gets. Binary fields travel as base64url, the
// encoding webauthn-rs reads and writes.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeCredentialList(list) {
    (list || []).forEach(function (credential) {
      credential.id = fromBase64url(credential.id);
    });
  }

  function creationOptions(publicKey) {
    publicKey.challenge = fromBase64url(publicKey.challenge);
    publicKey.user.id = fromBase64url(publicKey.user.id);
    decodeCredentialList(publicKey.excludeCredentials);
    return { publicKey: publicKey };
  }

  function requestOptions(publicKey) {
    publicKey.challenge = fromBase64url(publicKey.challenge);
    decodeCredentialList(publicKey.allowCredentials);
    return { publicKey: publicKey };
  }

  function answer(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      extensions: {},
      response: { clientDataJSON: toBase64url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      out.response.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) {
        out.response.transports = response.getTransports();
      }
    } else {
      out.response.authenticatorData = toBase64url(response.authenticatorData);
      out.response.signature = toBase64url(response.signature);
      if (response.userHandle) {
        out.response.userHandle = toBase64url(response.userHandle);
      }
    }
    return JSON.stringify(out);
  }

  function start(form, status) {
    var body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    return fetch(form.dataset.options, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("options refused: " + response.status);
      }
      return response.json();
    }).then(function (started) {
      status.textContent = form.dataset.waiting || "";
      var ceremony = form.dataset.passkey === "create"
        ? navigator.credentials.create(creationOptions(started.publicKey))
        : navigator.credentials.get(requestOptions(started.publicKey));
      return ceremony.then(function (credential) {
        form.elements.ceremony.value = started.ceremony;
        form.elements.credential.value = answer(credential);
        form.submit();
      });
    });
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var status = form.querySelector("[data-passkey-status]");
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.busy) {
        return;
      }
      form.dataset.busy = "1";
      status.textContent = "";
      start(form, status).catch(function () {
        delete form.dataset.busy;
        status.textContent = form.dataset.failed || "";
      });
    });
  });
})();

// Second factors in the browser. Loaded from this origin only (the CSP forbids inline code);
// everything it needs is in data- attributes of the page.
//
// [data-poll-url]: poll the URL (JSON {"status": ...}) until it answers data-done-status, then
//   submit the element (a form: the approval is collected with the CSRF token) or open data-next.
//   Other final statuses show the matching data-text-<status> in data-status-target.
// form[data-webauthn="create"|"get"]: on submit, run navigator.credentials with the options in
//   data-options and put the credential, as JSON with base64url fields, in input[name=credential].
// form[data-passkey-options]: the sign-in page's passkeys (no e-mail needed). The e-mail field
//   offers them as autofill (autocomplete="username webauthn": a conditional request started as
//   the page loads) and the form's button asks in the browser's dialog; each request gets a new
//   one-time challenge from data-passkey-options. The credential goes in input[name=credential]
//   and the form is submitted.
"use strict";

(function () {
  const FINAL = ["denied", "rejected", "expired", "used", "locked", "unknown", "signed_out"];

  function toBase64Url(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromBase64Url(value) {
    const padded = value.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((value.length + 3) % 4);
    const text = atob(padded);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
    return bytes.buffer;
  }

  function showStatus(element, status) {
    const target = document.getElementById(element.dataset.statusTarget || "");
    const text = target && target.dataset["text" + status.charAt(0).toUpperCase() + status.slice(1)];
    if (target && text) target.textContent = text;
  }

  function poll(element) {
    const interval = Number(element.dataset.pollInterval || 1500);
    async function tick() {
      try {
        const response = await fetch(element.dataset.pollUrl, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          cache: "no-store",
        });
        const body = await response.json();
        if (body.status === element.dataset.doneStatus) {
          showStatus(element, body.status);
          if (element.tagName === "FORM") element.submit();
          else if (element.dataset.next) window.location.assign(element.dataset.next);
          return;
        }
        if (FINAL.includes(body.status)) {
          showStatus(element, body.status);
          return;
        }
      } catch (error) {
        // A network hiccup: keep polling; the server decides when the request expires.
      }
      window.setTimeout(tick, interval);
    }
    window.setTimeout(tick, interval);
  }

  function creationOptions(options) {
    options.challenge = fromBase64Url(options.challenge);
    options.user.id = fromBase64Url(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = fromBase64Url(c.id); });
    return options;
  }

  function requestOptions(options) {
    options.challenge = fromBase64Url(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = fromBase64Url(c.id); });
    return options;
  }

  function credentialJson(credential) {
    const response = credential.response;
    const json = {
      id: credential.id,
      rawId: toBase64Url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64Url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64Url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toBase64Url(response.authenticatorData);
      json.response.signature = toBase64Url(response.signature);
      if (response.userHandle) json.response.userHandle = toBase64Url(response.userHandle);
    }
    return JSON.stringify(json);
  }

  function webauthn(form) {
    form.addEventListener("submit", async (event) => {
      if (form.elements.credential.value) return; // already filled: let it go
      event.preventDefault();
      const error = document.getElementById("credential-error");
      try {
        const options = JSON.parse(form.dataset.options);
        const credential = form.dataset.webauthn === "create"
          ? await navigator.credentials.create({ publicKey: creationOptions(options) })
          : await navigator.credentials.get({ publicKey: requestOptions(options) });
        form.elements.credential.value = credentialJson(credential);
        form.submit();
      } catch (failure) {
        if (error) {
          // The page's own sentence in the page's language: the browser's text is English
          // with a link to the W3C specification, which helps nobody signing in.
          const cancelled = failure && failure.name === "NotAllowedError";
          error.textContent = cancelled ? form.dataset.cancelled : form.dataset.failed;
          error.hidden = false;
        }
      }
    });
  }

  function passkeys(form) {
    if (!window.PublicKeyCredential || !navigator.credentials) return;
    const button = form.querySelector("button");
    const error = document.getElementById("passkey-error");
    let current = null; // the request in progress: a new one aborts it

    async function ask(mediation) {
      if (current) current.abort();
      const controller = new AbortController();
      current = controller;
      const response = await fetch(form.dataset.passkeyOptions, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (!response.ok) throw new Error("passkey options: HTTP " + response.status);
      const body = await response.json();
      const request = { publicKey: requestOptions(body.options), signal: controller.signal };
      if (mediation) request.mediation = mediation;
      const credential = await navigator.credentials.get(request);
      if (controller !== current || !credential) return;
      form.elements.credential.value = credentialJson(credential);
      form.submit();
    }

    function failed(failure) {
      if (!error || (failure && failure.name === "AbortError")) return;
      const cancelled = failure && failure.name === "NotAllowedError";
      error.textContent = cancelled ? form.dataset.cancelled : form.dataset.failed;
      error.hidden = false;
    }

    button.hidden = false;
    button.addEventListener("click", () => { ask(null).catch(failed); });
    if (window.PublicKeyCredential.isConditionalMediationAvailable) {
      window.PublicKeyCredential.isConditionalMediationAvailable()
        .then((available) => { if (available) return ask("conditional"); return null; })
        .catch(() => { /* the field's offer was not taken: the password still works */ });
    }
  }

  document.querySelectorAll("[data-poll-url]").forEach(poll);
  document.querySelectorAll("form[data-passkey-options]").forEach(passkeys);
  document.querySelectorAll("form[data-webauthn]").forEach(webauthn);
})();

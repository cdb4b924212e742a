"use strict";
// setup.js: the technician's setup screen. It asks for the setup PIN, then
// either the provisioning values (kasir.json) or the first supervisor,
// whichever the till is missing. Everything is shown in both languages.

(() => {
  const $ = (id) => document.getElementById(id);
  const sections = ["setup-lock", "setup-provision", "setup-starting", "setup-user", "setup-done"];
  let state = null;
  let filled = false;

  async function call(method, path, body) {
    const init = { method, credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json", "Accept-Language": "id" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch("/api/v1" + path, init);
    } catch {
      return { ok: false, status: 0, data: { error: { message: "Kasir tidak menjawab. / The till does not answer." } } };
    }
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    return { ok: res.ok, status: res.status, data: data || {} };
  }

  function show(id) {
    for (const s of sections) $(s).hidden = s !== id;
  }

  function error(msg) {
    $("setup-error").textContent = msg || "";
    $("setup-error").hidden = !msg;
    if (msg) window.scrollTo(0, 0);
  }

  // errorOf is the API's message, in Bahasa Indonesia (the till's first
  // language); the problems list carries both.
  async function errorOf(r) {
    const e = (r.data && r.data.error) || {};
    return e.message || "Error " + r.status;
  }

  function problems(list) {
    const ul = $("setup-problems");
    ul.textContent = "";
    for (const p of list || []) {
      const li = document.createElement("li");
      li.textContent = p.id;
      const en = document.createElement("span");
      en.className = "en";
      en.textContent = p.en;
      li.append(en);
      ul.append(li);
    }
    $("setup-problems-box").hidden = !(list && list.length);
  }

  async function refresh() {
    const r = await call("GET", "/setup");
    if (!r.ok) {
      error(await errorOf(r));
      return;
    }
    state = r.data;
    $("setup-mode").textContent = {
      provision: "Identitas belum lengkap · Identity missing",
      starting: "Memulai · Starting",
      first_user: "Belum ada pengguna · No users yet",
      done: "Siap · Ready",
    }[state.mode] || state.mode;
    const file = state.pin_file || "kasir-setup-pin.txt";
    $("setup-pin-file").textContent = file.split("/").pop();
    $("setup-pin-path").textContent = "(" + file + ")";
    problems(state.mode === "provision" ? state.problems : []);
    $("setup-update-pw-box").hidden = !state.update_password;
    $("setup-update-pw").textContent = state.update_password || "";
    if (state.mode === "done") {
      show("setup-done");
      return;
    }
    if (state.mode === "starting") {
      show("setup-starting");
      setTimeout(refresh, 1000);
      return;
    }
    if (!state.unlocked) {
      show("setup-lock");
      $("setup-pin").focus();
      return;
    }
    if (state.mode === "provision") {
      show("setup-provision");
      if (!filled) await fill();
    } else if (state.mode === "first_user") {
      show("setup-user");
      $("u-name").focus();
    }
  }

  async function fill() {
    const r = await call("GET", "/setup/provision");
    if (!r.ok) return;
    const p = r.data;
    $("f-store").value = p.store || "";
    $("f-till").value = p.till || "";
    $("f-broker").value = p.broker || "";
    $("f-username").value = p.username || "";
    $("f-password").placeholder = p.password_set ? "(tersimpan / kept)" : "";
    $("f-ca").value = p.ca || "";
    $("f-hq-key").value = p.hq_public_key || "";
    if (p.time_zone) $("f-tz").value = p.time_zone;
    $("f-devices").value = p.devices ? JSON.stringify(p.devices, null, 2) : "";
    filled = true;
  }

  $("setup-lock-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await call("POST", "/setup/unlock", { pin: $("setup-pin").value });
    $("setup-pin").value = "";
    if (!r.ok) {
      error(await errorOf(r));
      return;
    }
    error("");
    refresh();
  });

  $("provision-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {
      store: $("f-store").value,
      till: $("f-till").value,
      broker: $("f-broker").value,
      username: $("f-username").value,
      password: $("f-password").value,
      ca: $("f-ca").value,
      hq_public_key: $("f-hq-key").value,
      time_zone: $("f-tz").value,
    };
    const dev = $("f-devices").value.trim();
    if (dev) {
      try {
        body.devices = JSON.parse(dev);
      } catch (e) {
        error("Perangkat: JSON tidak valid. / Devices: invalid JSON (" + e.message + ")");
        return;
      }
    }
    $("setup-save").disabled = true;
    const r = await call("POST", "/setup/provision", body);
    $("setup-save").disabled = false;
    for (const el of document.querySelectorAll(".bad")) el.classList.remove("bad");
    if (!r.ok) {
      error(await errorOf(r));
      if (r.data.problems) {
        problems(r.data.problems);
        const fields = { store: "f-store", till: "f-till", broker: "f-broker", username: "f-username", ca: "f-ca", hq_public_key: "f-hq-key", time_zone: "f-tz", devices: "f-devices" };
        for (const p of r.data.problems) if (fields[p.field]) $(fields[p.field]).classList.add("bad");
      }
      if (r.status === 401) refresh();
      return;
    }
    error("");
    refresh();
  });

  $("user-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if ($("u-pin").value !== $("u-pin2").value) {
      error("PIN tidak sama. / The PINs differ.");
      return;
    }
    const r = await call("POST", "/setup/user", { name: $("u-name").value, pin: $("u-pin").value });
    if (!r.ok) {
      error(await errorOf(r));
      if (r.status === 401) refresh();
      return;
    }
    error("");
    refresh();
  });

  refresh();
})();

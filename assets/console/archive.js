// The household file 一户一档 in the household card: this year's documents with what the
// household's category still needs, an upload from the office computer (a scan, a PDF, a photo of
// a signed form), and the whole file (record, documents, photos) as one zip.
import { api, blobUrl, download, upload } from "./api.js";
import { addText, label, t, values } from "./i18n.js";
import { el, message, problemText } from "./main.js";

addText({
  "archive.title": ["一户一档", "Household file"], "archive.complete": ["材料齐全", "Complete"],
  "archive.missing": ["缺少", "Missing"], "archive.nothing": ["该类别无必备材料", "Nothing required for this category"], "archive.none": ["本年度尚无材料", "No document for this year yet"],
  "archive.kind": ["材料类型", "Kind"], "archive.file": ["文件（PDF、JPG、PNG）", "File (PDF, JPG, PNG)"],
  "archive.upload": ["上传", "Upload"], "archive.uploaded": ["已上传", "Uploaded"], "archive.zip": ["下载档案（zip）", "Download the file (zip)"],
});

export async function archiveSection(householdId, number) {
  const year = new Date().getFullYear();
  const box = el("div", { id: "household-archive" });
  const draw = async () => {
    const file = await api(`/households/${householdId}/documents?year=${year}`);
    const state = file.required.length === 0
      ? el("p", { class: "muted", id: "archive-state" }, `${year} · ${t("archive.nothing")}`)
      : file.complete
      ? el("p", { class: "good", id: "archive-state" }, `${year} · ${t("archive.complete")}`)
      : el("p", { class: "warn", id: "archive-state" }, `${year} · ${t("archive.missing")}: ${file.missing.map((k) => label("document_kind", k)).join("、")}`);
    const list = file.items.length
      ? el("ul", { id: "archive-documents" }, file.items.map((d) => el("li", {},
        el("a", { href: "#", onclick: async (ev) => { ev.preventDefault(); download(await blobUrl(d.url), `${label("document_kind", d.kind)}-${d.year}`); } }, label("document_kind", d.kind)),
        el("span", { class: "muted" }, ` · ${d.uploaded_by} · ${Math.ceil(d.size_bytes / 1024)} KB`))))
      : el("p", { class: "muted" }, t("archive.none"));
    const kind = el("select", { name: "kind", "aria-label": t("archive.kind") },
      values("document_kind").map((k) => el("option", { value: k, selected: file.missing[0] === k }, label("document_kind", k))));
    const input = el("input", { type: "file", name: "file", accept: "application/pdf,image/jpeg,image/png", "aria-label": t("archive.file") });
    const form = el("form", { id: "archive-upload", onsubmit: async (ev) => {
      ev.preventDefault();
      if (!input.files.length) return;
      const body = new FormData();
      body.append("meta", new Blob([JSON.stringify({ kind: kind.value, year })], { type: "application/json" }), "meta.json");
      body.append("file", input.files[0], input.files[0].name);
      try {
        await upload(`/households/${householdId}/documents`, body);
        message(t("archive.uploaded"));
        await draw();
      } catch (e) {
        message(problemText(e), "error");
      }
    } }, kind, input, el("button", { type: "submit" }, t("archive.upload")));
    const zip = el("button", { type: "button", id: "archive-zip", onclick: async () => {
      try { download(await blobUrl(`/households/${householdId}/archive.zip`), `${number}.zip`); } catch (e) { message(problemText(e), "error"); }
    } }, t("archive.zip"));
    box.replaceChildren(el("h4", {}, t("archive.title")), state, list, form, zip);
  };
  await draw();
  return box;
}

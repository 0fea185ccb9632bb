// Random header rows: both engines must propose the same column per header.

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { matchColumns } from "../../src/mapping/index.ts";
import { bin, count, pick, rand, report, tmp } from "./shared.ts";

const template = {
  columns: [
    { key: "first_name", label: "First name", type: "text", synonyms: ["given name", "forename"] },
    { key: "last_name", label: "Last name", type: "text", synonyms: ["surname", "family name"] },
    { key: "email", label: "Email", type: "email", synonyms: ["e-mail address", "mail", "メール"] },
    { key: "phone", label: "Phone", type: "phone", synonyms: ["tel", "mobile", "phone number"] },
    { key: "signup_date", label: "Signup date", type: "date" },
    { key: "amount", label: "Amount", type: "number" },
    { key: "country", label: "Pays", type: "country", synonyms: ["land", "país"] },
  ],
};
const WORDS = ["first", "last", "name", "Name", "E-mail", "email", "Email consent", "mail", "Phone", "phone number", "tel", "Mobile", "signup", "date", "Date of signup", "amount", "Amnt", "surname", "given", "Émail", "Prénom", "país", "PAYS", "firstName", "signupDate", "メール", "foo", "id", "notes", ""];

function mutate(s: string): string {
  const a = [...s];
  if (a.length > 1 && rand(3) === 0) {
    const i = rand(a.length - 1);
    [a[i], a[i + 1]] = [a[i + 1]!, a[i]!];
  }
  if (rand(4) === 0) a.splice(rand(a.length + 1), 0, pick(["_", " ", "-", "é", "s"]));
  return rand(3) === 0 ? a.join("").toUpperCase() : a.join("");
}

const t = path.join(tmp, "mapping-template.json");
writeFileSync(t, JSON.stringify(template));
const diffs: string[] = [];
const cases = Math.max(1, Math.floor(count / 10));
for (let k = 0; k < cases; k++) {
  const headers: string[] = [];
  for (let n = 1 + rand(6); n > 0; n--) {
    const h = mutate(rand(3) === 0 ? `${pick(WORDS)} ${pick(WORDS)}` : pick(WORDS)).replaceAll(",", " ").replaceAll('"', "");
    if (!headers.includes(h)) headers.push(h);
  }
  const r = spawnSync(bin, ["match", "--template", t, "--headers", headers.map((h) => `"${h}"`).join(",")], { encoding: "utf8" });
  const go = JSON.parse(r.stdout || "{}") as Record<string, string | null>;
  const ts = matchColumns(template, headers);
  headers.forEach((h, i) => {
    if ((go[h] ?? null) !== (ts[i]?.key ?? null)) diffs.push(`headers ${JSON.stringify(headers)}: ${JSON.stringify(h)} go ${go[h]} ts ${ts[i]?.key}`);
  });
}
report("mapping", cases, diffs);

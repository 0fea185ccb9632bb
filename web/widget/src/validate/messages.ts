// Error messages per locale, built from an error's code and params only:
// a message never contains the cell value, so it is safe to show, log or send.

/** Every error code a cell or row rule can produce (docs/templates.md). */
export type ErrorCode =
  | "required"
  | "too_short"
  | "too_long"
  | "not_a_number"
  | "not_an_integer"
  | "too_small"
  | "too_large"
  | "not_a_boolean"
  | "invalid_email"
  | "invalid_url"
  | "invalid_phone"
  | "invalid_date"
  | "invalid_datetime"
  | "invalid_time"
  | "invalid_option"
  | "pattern_mismatch"
  | "invalid_ip"
  | "invalid_country"
  | "invalid_currency"
  | "duplicate"
  | "invalid_encoding"
  | "required_if"
  | "one_of_required";

/** Parameters of an error, all strings (bounds, formats, row numbers, keys). */
export type Params = Readonly<Record<string, string>>;

/** The widget's locales. */
export type Locale = "en" | "de" | "fr" | "es" | "pt" | "nl" | "ja";

/** LOCALES lists the locales messages exist in, English first. */
export const LOCALES: readonly Locale[] = ["en", "de", "fr", "es", "pt", "nl", "ja"];

type Table = Record<ErrorCode, string>;

// "{name}" is replaced by params.name. invalid_ip has its own wording for a
// single family; pattern_mismatch shows the template's message when it has one.
const MESSAGES: Record<Locale, Table> = {
  en: {
    required: "A value is required.",
    too_short: "Must be at least {min} characters.",
    too_long: "Must be at most {max} characters.",
    not_a_number: "Must be a number.",
    not_an_integer: "Must be a whole number.",
    too_small: "Must be at least {min}.",
    too_large: "Must be at most {max}.",
    not_a_boolean: "Must be yes or no.",
    invalid_email: "Must be an email address.",
    invalid_url: "Must be a web address (http or https).",
    invalid_phone: "Must be a valid phone number.",
    invalid_date: "Must be a date ({formats}).",
    invalid_datetime: "Must be a date and time ({formats}).",
    invalid_time: "Must be a time ({formats}).",
    invalid_option: "Must be one of the allowed values.",
    pattern_mismatch: "Does not have the expected format.",
    invalid_ip: "Must be an IP address (IPv4 or IPv6).",
    invalid_country: "Must be a country (ISO code or English name).",
    invalid_currency: "Must be an ISO 4217 currency code.",
    duplicate: "Duplicate of row {row}.",
    invalid_encoding: "Not valid text (bad character encoding).",
    required_if: "Required when {when} is filled in.",
    one_of_required: "At least one of {columns} is required.",
  },
  de: {
    required: "Ein Wert ist erforderlich.",
    too_short: "Muss mindestens {min} Zeichen lang sein.",
    too_long: "Darf höchstens {max} Zeichen lang sein.",
    not_a_number: "Muss eine Zahl sein.",
    not_an_integer: "Muss eine ganze Zahl sein.",
    too_small: "Muss mindestens {min} sein.",
    too_large: "Darf höchstens {max} sein.",
    not_a_boolean: "Muss ja oder nein sein.",
    invalid_email: "Muss eine E-Mail-Adresse sein.",
    invalid_url: "Muss eine Webadresse sein (http oder https).",
    invalid_phone: "Muss eine gültige Telefonnummer sein.",
    invalid_date: "Muss ein Datum sein ({formats}).",
    invalid_datetime: "Muss Datum und Uhrzeit sein ({formats}).",
    invalid_time: "Muss eine Uhrzeit sein ({formats}).",
    invalid_option: "Muss einer der erlaubten Werte sein.",
    pattern_mismatch: "Hat nicht das erwartete Format.",
    invalid_ip: "Muss eine IP-Adresse sein (IPv4 oder IPv6).",
    invalid_country: "Muss ein Land sein (ISO-Code oder englischer Name).",
    invalid_currency: "Muss ein ISO-4217-Währungscode sein.",
    duplicate: "Duplikat von Zeile {row}.",
    invalid_encoding: "Kein gültiger Text (falsche Zeichenkodierung).",
    required_if: "Erforderlich, wenn {when} ausgefüllt ist.",
    one_of_required: "Mindestens eines von {columns} ist erforderlich.",
  },
  fr: {
    required: "Une valeur est obligatoire.",
    too_short: "Doit contenir au moins {min} caractères.",
    too_long: "Doit contenir au plus {max} caractères.",
    not_a_number: "Doit être un nombre.",
    not_an_integer: "Doit être un nombre entier.",
    too_small: "Doit être au moins {min}.",
    too_large: "Doit être au plus {max}.",
    not_a_boolean: "Doit être oui ou non.",
    invalid_email: "Doit être une adresse e-mail.",
    invalid_url: "Doit être une adresse web (http ou https).",
    invalid_phone: "Doit être un numéro de téléphone valide.",
    invalid_date: "Doit être une date ({formats}).",
    invalid_datetime: "Doit être une date et une heure ({formats}).",
    invalid_time: "Doit être une heure ({formats}).",
    invalid_option: "Doit être l’une des valeurs autorisées.",
    pattern_mismatch: "N’a pas le format attendu.",
    invalid_ip: "Doit être une adresse IP (IPv4 ou IPv6).",
    invalid_country: "Doit être un pays (code ISO ou nom anglais).",
    invalid_currency: "Doit être un code de devise ISO 4217.",
    duplicate: "Doublon de la ligne {row}.",
    invalid_encoding: "Texte non valide (mauvais encodage des caractères).",
    required_if: "Obligatoire quand {when} est renseigné.",
    one_of_required: "Au moins l’un de {columns} est obligatoire.",
  },
  es: {
    required: "Se requiere un valor.",
    too_short: "Debe tener al menos {min} caracteres.",
    too_long: "Debe tener como máximo {max} caracteres.",
    not_a_number: "Debe ser un número.",
    not_an_integer: "Debe ser un número entero.",
    too_small: "Debe ser al menos {min}.",
    too_large: "Debe ser como máximo {max}.",
    not_a_boolean: "Debe ser sí o no.",
    invalid_email: "Debe ser una dirección de correo electrónico.",
    invalid_url: "Debe ser una dirección web (http o https).",
    invalid_phone: "Debe ser un número de teléfono válido.",
    invalid_date: "Debe ser una fecha ({formats}).",
    invalid_datetime: "Debe ser una fecha y hora ({formats}).",
    invalid_time: "Debe ser una hora ({formats}).",
    invalid_option: "Debe ser uno de los valores permitidos.",
    pattern_mismatch: "No tiene el formato esperado.",
    invalid_ip: "Debe ser una dirección IP (IPv4 o IPv6).",
    invalid_country: "Debe ser un país (código ISO o nombre en inglés).",
    invalid_currency: "Debe ser un código de moneda ISO 4217.",
    duplicate: "Duplicado de la fila {row}.",
    invalid_encoding: "Texto no válido (codificación de caracteres incorrecta).",
    required_if: "Obligatorio cuando {when} está rellenado.",
    one_of_required: "Se requiere al menos uno de {columns}.",
  },
  pt: {
    required: "É necessário um valor.",
    too_short: "Deve ter pelo menos {min} caracteres.",
    too_long: "Deve ter no máximo {max} caracteres.",
    not_a_number: "Deve ser um número.",
    not_an_integer: "Deve ser um número inteiro.",
    too_small: "Deve ser pelo menos {min}.",
    too_large: "Deve ser no máximo {max}.",
    not_a_boolean: "Deve ser sim ou não.",
    invalid_email: "Deve ser um endereço de e-mail.",
    invalid_url: "Deve ser um endereço web (http ou https).",
    invalid_phone: "Deve ser um número de telefone válido.",
    invalid_date: "Deve ser uma data ({formats}).",
    invalid_datetime: "Deve ser uma data e hora ({formats}).",
    invalid_time: "Deve ser uma hora ({formats}).",
    invalid_option: "Deve ser um dos valores permitidos.",
    pattern_mismatch: "Não tem o formato esperado.",
    invalid_ip: "Deve ser um endereço IP (IPv4 ou IPv6).",
    invalid_country: "Deve ser um país (código ISO ou nome em inglês).",
    invalid_currency: "Deve ser um código de moeda ISO 4217.",
    duplicate: "Duplicado da linha {row}.",
    invalid_encoding: "Texto inválido (codificação de caracteres incorreta).",
    required_if: "Obrigatório quando {when} está preenchido.",
    one_of_required: "Pelo menos um de {columns} é obrigatório.",
  },
  nl: {
    required: "Een waarde is verplicht.",
    too_short: "Moet minstens {min} tekens lang zijn.",
    too_long: "Mag hoogstens {max} tekens lang zijn.",
    not_a_number: "Moet een getal zijn.",
    not_an_integer: "Moet een geheel getal zijn.",
    too_small: "Moet minstens {min} zijn.",
    too_large: "Mag hoogstens {max} zijn.",
    not_a_boolean: "Moet ja of nee zijn.",
    invalid_email: "Moet een e-mailadres zijn.",
    invalid_url: "Moet een webadres zijn (http of https).",
    invalid_phone: "Moet een geldig telefoonnummer zijn.",
    invalid_date: "Moet een datum zijn ({formats}).",
    invalid_datetime: "Moet een datum en tijd zijn ({formats}).",
    invalid_time: "Moet een tijd zijn ({formats}).",
    invalid_option: "Moet een van de toegestane waarden zijn.",
    pattern_mismatch: "Heeft niet het verwachte formaat.",
    invalid_ip: "Moet een IP-adres zijn (IPv4 of IPv6).",
    invalid_country: "Moet een land zijn (ISO-code of Engelse naam).",
    invalid_currency: "Moet een ISO 4217-valutacode zijn.",
    duplicate: "Duplicaat van rij {row}.",
    invalid_encoding: "Geen geldige tekst (verkeerde tekencodering).",
    required_if: "Verplicht wanneer {when} is ingevuld.",
    one_of_required: "Minstens één van {columns} is verplicht.",
  },
  ja: {
    required: "値は必須です。",
    too_short: "{min} 文字以上にしてください。",
    too_long: "{max} 文字以内にしてください。",
    not_a_number: "数値を入力してください。",
    not_an_integer: "整数を入力してください。",
    too_small: "{min} 以上にしてください。",
    too_large: "{max} 以下にしてください。",
    not_a_boolean: "はい・いいえで入力してください。",
    invalid_email: "メールアドレスを入力してください。",
    invalid_url: "Web アドレス (http または https) を入力してください。",
    invalid_phone: "有効な電話番号を入力してください。",
    invalid_date: "日付を入力してください ({formats})。",
    invalid_datetime: "日時を入力してください ({formats})。",
    invalid_time: "時刻を入力してください ({formats})。",
    invalid_option: "許可された値のいずれかを入力してください。",
    pattern_mismatch: "想定された形式ではありません。",
    invalid_ip: "IP アドレスを入力してください (IPv4 または IPv6)。",
    invalid_country: "国を入力してください (ISO コードまたは英語名)。",
    invalid_currency: "ISO 4217 の通貨コードを入力してください。",
    duplicate: "{row} 行目と重複しています。",
    invalid_encoding: "無効なテキストです (文字コードが不正です)。",
    required_if: "{when} が入力されている場合は必須です。",
    one_of_required: "{columns} のうち少なくとも 1 つは必須です。",
  },
};

// invalid_ip for a column restricted to one family (Go: "Must be an IPv4 address.").
const IP_ONE: Record<Locale, string> = {
  en: "Must be an IPv{version} address.",
  de: "Muss eine IPv{version}-Adresse sein.",
  fr: "Doit être une adresse IPv{version}.",
  es: "Debe ser una dirección IPv{version}.",
  pt: "Deve ser um endereço IPv{version}.",
  nl: "Moet een IPv{version}-adres zijn.",
  ja: "IPv{version} アドレスを入力してください。",
};

/** pickLocale maps a BCP 47 tag ("pt-BR", "ja") to a supported locale, English otherwise. */
export function pickLocale(tag: string | undefined): Locale {
  const base = (tag ?? "").toLowerCase().split(/[-_]/)[0] ?? "";
  return (LOCALES as readonly string[]).includes(base) ? (base as Locale) : "en";
}

/**
 * message renders an error for locale. Only code and params are read; a
 * pattern_mismatch with a template message shows that message verbatim.
 */
export function message(code: ErrorCode, params: Params | undefined, locale: Locale = "en"): string {
  if (code === "pattern_mismatch" && params?.["message"]) return params["message"];
  const table = MESSAGES[locale] ?? MESSAGES.en;
  const version = params?.["version"];
  const template = code === "invalid_ip" && (version === "4" || version === "6") ? IP_ONE[locale] : (table[code] ?? code);
  return template.replace(/\{(\w+)\}/g, (_, name: string) => params?.[name] ?? "");
}

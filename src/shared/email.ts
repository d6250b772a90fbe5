/**
 * normalizeEmail is how e-mail addresses are stored and looked up: trimmed and lower-cased. Every
 * comparison of addresses goes through it, so one account cannot be registered twice by case.
 */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

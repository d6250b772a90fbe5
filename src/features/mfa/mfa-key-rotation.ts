import type { Db } from "../../db/database.js";
import type { FieldCipher } from "../../platform/crypto/field-cipher.js";
import { findSealedAfter, replaceSealed, sealedContext, type SealedColumn } from "./mfa.repository.js";

const SEALED_COLUMNS: SealedColumn[] = ["secret_sealed", "phone_sealed"];
const BATCH = 500;

/**
 * rotateSealedValues re-seals every MFA secret and phone number not yet under the current data
 * key, a batch at a time, and returns how many it re-sealed. A value changed meanwhile (a method
 * replaced during the run) is skipped: whatever replaced it was sealed under the current key.
 */
export async function rotateSealedValues(db: Db, cipher: FieldCipher): Promise<number> {
  let resealed = 0;
  for (const column of SEALED_COLUMNS) {
    for (let after: string | undefined, rows = await findSealedAfter(db, column, after, BATCH); rows.length > 0; rows = await findSealedAfter(db, column, after, BATCH)) {
      for (const { id, sealed } of rows) {
        if (cipher.isCurrent(sealed)) continue;
        const context = sealedContext(column, id);
        if (await replaceSealed(db, column, id, sealed, cipher.seal(cipher.open(sealed, context), context))) resealed += 1;
      }
      after = rows.at(-1)!.id;
    }
  }
  return resealed;
}

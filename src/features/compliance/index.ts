export { NameScreening, parsePepList, ScreeningListError, type ScreeningResult } from "./screening.js";
export { parseOfacList, type ListedParty } from "./sanctions-list.js";
export { nameSimilarity, nameTokens, listedName } from "./name-matching.js";
export { NameIndex, type NameMatch } from "./name-index.js";

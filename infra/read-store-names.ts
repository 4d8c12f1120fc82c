/** Names and limits both read-store adapters accept, checked before they reach SQL or a Mongo query. */
export const COLLECTION_NAME = /^[a-z][a-z0-9_]{0,62}$/;
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export const assertCollectionName = (collection: string): void => {
  if (!COLLECTION_NAME.test(collection)) {
    throw new RangeError(`invalid collection name ${JSON.stringify(collection)}: expected ${COLLECTION_NAME.source}`);
  }
};

export const assertFieldName = (field: string): void => {
  if (!FIELD_NAME.test(field)) {
    throw new RangeError(`invalid body field name ${JSON.stringify(field)}: expected ${FIELD_NAME.source}`);
  }
};

export const assertLimit = (limit: number): void => {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
};

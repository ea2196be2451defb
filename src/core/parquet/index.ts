/** Embedscope's Parquet exchange format (see format.ts for the layout and codec.ts for the library). */
export * from './format.ts';
export * from './codec.ts';
export * from './rows.ts';
export * from './collection.ts';
export * from './writer.ts';

/** The image catalogue: the domain service, its rules and the seeded system images. */
export * from './rules.js';
export * from './service.js';
export { SYSTEM_ACCOUNT_ID, SYSTEM_IMAGES } from './system-images.js';

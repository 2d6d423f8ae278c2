/** "https://status.x.com/" and "https://status.x.com" name the same base. */
export const joinUrl = (base: string, path: string): string => `${base.replace(/\/+$/, '')}${path}`;

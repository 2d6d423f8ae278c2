export { pipeline } from './pipeline';
export { control } from './control';

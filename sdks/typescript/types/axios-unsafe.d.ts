// Types for axios's `unsafe` adapter paths, which axios 1.x exports without declarations.
// TypeScript programs that import the http adapter function reference this file
// (`/// <reference types="tavo-sdk/types/axios-unsafe" />`) or copy these lines.
declare module 'axios/unsafe/adapters/http.js' {
  import type { AxiosAdapter } from 'axios';
  const httpAdapter: AxiosAdapter;
  export default httpAdapter;
}
declare module 'axios/unsafe/adapters/fetch.js' {
  import type { AxiosAdapter } from 'axios';
  const fetchAdapter: AxiosAdapter;
  export default fetchAdapter;
}

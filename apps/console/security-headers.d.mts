export declare const SECURITY_HEADERS: Array<{ key: string; value: string }>;

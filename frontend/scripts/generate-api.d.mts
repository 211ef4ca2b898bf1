export declare const documentPath: string;
export declare const schemaPath: string;
export declare const permissionsPath: string;
export declare function renderSchema(): Promise<string>;
export declare function renderPermissions(): Promise<string>;

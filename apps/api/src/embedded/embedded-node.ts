/** Name of the node that the agent inside the API runs as in embedded mode. */
export const EMBEDDED_NODE_NAME = 'local';

/** The JSON body of every error answer: `{"error": "Not Found", "message": "..."}`. */
export const ERROR_SCHEMA = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

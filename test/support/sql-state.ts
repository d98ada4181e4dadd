/** The SQLSTATE a statement failed with, or undefined when it succeeded ('no code' for an error without one). */
export async function sqlState(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  }
}

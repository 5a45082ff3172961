// Runs a lab command and keeps what it printed, so a test can assert on the output (and that the
// fleet root is not in it) without the lines cluttering the test run.

export async function captureStdout<T>(body: () => Promise<T>): Promise<{ value: T; out: string }> {
  let out = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => {
    out += s;
    return true;
  }) as typeof process.stdout.write;
  try {
    return { value: await body(), out };
  } finally {
    process.stdout.write = write;
  }
}

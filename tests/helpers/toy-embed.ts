/** Unit tests: a deterministic 4-dim "model" for texts like `sentence 12` — each vector from its number. */
export const toyEmbed = async (texts: string[]) => {
  const vectors = new Float32Array(texts.length * 4);
  texts.forEach((t, r) => {
    const i = Number(t.split(' ')[1]);
    vectors.set([Math.cos(i), Math.sin(i), (i % 7) / 7 - 0.5, 1 / (i + 1)], r * 4);
  });
  return { vectors, dims: 4 };
};

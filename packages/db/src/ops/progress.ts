/** How far a long piece of work is (the CLI shows it as a progress bar). */
export interface Progress {
  done: number;
  total: number;
  item: string;
}

import abcjs from 'abcjs';
const tiny = 'X:1\nT:t\nM:4/4\nL:1/8\nK:G\nA|\n';
const tune = `X:1\nT:Hardy\nR:reel\nM:C\nL:1/8\nK:D\nAFdA BdAF|DFAF EE/E/ E2|AFAd BGBd|cdAc dd/d/ d2|\nAFdA BdAF|DFAF EE/E/ E2|AFAd BGBd|ceAc dd/d/ d2||\nfdad fadb|adfd efgb|fddf gbeg|faef dd/d/ d2|\nfdad fadb|adfd efge|dAFA ceAg|faef dd/d/ d2|]\n`;
for (const [name, t] of [['tiny', tiny], ['tune', tune], ['tiny', tiny], ['tune', tune]] as const) {
  const n = 3000; const t0 = performance.now();
  for (let i = 0; i < n; i++) abcjs.parseOnly(t);
  console.log(name, ((performance.now() - t0) / n).toFixed(3), 'ms');
}

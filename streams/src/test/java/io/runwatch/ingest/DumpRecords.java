package io.runwatch.ingest;

/** Dev aid: prints the events and the first records auto makes of each bundled log. */
final class DumpRecords {
    public static void main(String[] args) {
        for (ParserConformance.Case c : ParserConformance.cases()) {
            if (args.length > 0 && !c.name().startsWith(args[0])) {
                continue;
            }
            ParserConformance.Result r = ParserConformance.run(c);
            System.out.println("== " + c.name() + " " + r.detectedFormat());
            int shown = 0;
            for (ContractRecord rec : r.records()) {
                if (rec.kind() != io.runwatch.contract.InputParser.Kind.METRICS || shown++ < 3) {
                    System.out.println("  " + rec.kind() + " " + rec.json());
                }
            }
        }
    }
}

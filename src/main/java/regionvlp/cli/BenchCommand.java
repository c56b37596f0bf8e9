package regionvlp.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code regionvlp bench}: measured speed. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure speed (prints figures, or JSON).",
    subcommands = {BenchSearchCommand.class})
final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }
}

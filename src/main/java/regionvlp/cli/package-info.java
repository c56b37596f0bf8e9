/** The {@code regionvlp} command line: one picocli class per verb. Only {@link regionvlp.cli.Main} exits. */
package regionvlp.cli;

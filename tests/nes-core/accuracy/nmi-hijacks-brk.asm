; BRK and NMI (NESdev wiki, "CPU interrupts", interrupt hijacking): BRK is the interrupt sequence
; (7 cycles: opcode, padding byte, push PCH, push PCL, push P with B set, vector low, vector
; high). An NMI that is asserted during its first four cycles takes over the vector fetch: the
; CPU pushes the BRK's return address and P with B set, then jumps through $FFFA; the BRK's own
; handler never runs for it. The interrupt sequence does not poll for interrupts, so an NMI that
; arrives later in the sequence is serviced only after the first instruction of the BRK handler.
;
; Method: with NMI on, the main loop runs BRKs back to back (BRK, padding byte, INC brks) for 120
; frames, so each vertical blank NMI lands at a different point of the loop, sometimes inside a
; BRK. The NMI handler looks at the P byte the interrupt sequence pushed: B set means it took over
; a BRK. Counters are 8-bit and wrap; the sums are compared modulo 256.
; Checks (result code):
;   1  no NMI took over a BRK in 120 frames
;   2  BRKs run != BRKs that reached the BRK handler + BRKs taken over by an NMI (mod 256)
;   3  an NMI that took over a BRK did not return to the instruction after the BRK
;   4  an NMI was serviced right after a BRK sequence, before the first instruction of its handler
  .include "shell.asm"

nmi_count = $10
hijacks   = $11         ; NMIs that took over a BRK
brk_irqs  = $12         ; BRKs that reached the BRK handler
brks      = $13         ; BRKs completed (returned to after_brk)
wrong     = $14         ; code of the first wrong observation in the NMI handler (0 = none)

main:
  jsr wait_vbl
  jsr wait_vbl
  lda #<nmi_handler
  sta nmi_ptr
  lda #>nmi_handler
  sta nmi_ptr+1
  lda #<brk_handler
  sta irq_ptr
  lda #>brk_handler
  sta irq_ptr+1
  lda #0
  sta nmi_count
  sta hijacks
  sta brk_irqs
  sta brks
  sta wrong
  lda #$80
  sta $2000             ; NMI on
sled:
  brk
  .byte $00
after_brk:
  inc brks
  lda nmi_count
  cmp #120
  bcc sled
  lda #$00
  sta $2000
  lda wrong
  bne @report
  lda hijacks
  beq @fail1
  clc
  adc brk_irqs
  cmp brks
  bne @fail2
  jmp passed
@fail1:
  lda #1
  jmp finish
@fail2:
  lda #2
@report:
  jmp finish

nmi_handler:
  pha
  txa
  pha
  tsx
  lda $0103,x           ; P as the interrupt sequence pushed it
  and #$10
  beq @plain
  inc hijacks           ; B set: this NMI took over a BRK
  lda $0104,x
  cmp #<after_brk
  bne @wrong_return
  lda $0105,x
  cmp #>after_brk
  beq @done
@wrong_return:
  lda #3
  sta wrong
  jmp @done
@plain:
  lda $0104,x           ; a plain NMI must not return to the first instruction the IRQ/BRK
  cmp #<irq_entry       ; vector points at (shell.asm's JMP (irq_ptr))
  bne @done
  lda $0105,x
  cmp #>irq_entry
  bne @done
  lda #4
  sta wrong
@done:
  inc nmi_count
  pla
  tax
  pla
  rti

brk_handler:
  inc brk_irqs
  rti
